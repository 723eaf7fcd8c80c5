"""Queueing a verdict callback to the blog: a delivery record, then the task sent by name."""

from __future__ import annotations

import msgspec

from service.schemas import CommentRecord, SitePublic, VerdictEvent
from service.store import Store
from service.tasks_client import TaskClient

__all__ = ["queue_callback"]

_encoder = msgspec.json.Encoder()


def queue_callback(
    store: Store, tasks: TaskClient, record: CommentRecord, site: SitePublic, event: VerdictEvent
) -> str | None:
    """Create a delivery of ``event`` to the site's callback URL and send it; None without one."""
    if not site.callback_url:
        return None
    delivery_id = store.create_delivery(
        site.id,
        record.id,
        event.verdict.version,
        event.event,
        _encoder.encode(event),
        request_id=record.request_id,  # the comment's request id follows it to the blog
    )
    tasks.deliver(site.id, delivery_id)
    return delivery_id

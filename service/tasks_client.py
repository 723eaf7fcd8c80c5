"""Sending Celery tasks by name, so the api never imports the workers package."""

from __future__ import annotations

import time
from typing import Any

from celery import Celery

__all__ = [
    "CELERY_QUEUES",
    "DELIVERY_QUEUE",
    "MAINTENANCE_QUEUE",
    "SCORING_QUEUE",
    "TASK_ANALYZE",
    "TASK_DELIVER",
    "TASK_SCORE_PENDING",
    "TaskClient",
]

SCORING_QUEUE = "scoring"
DELIVERY_QUEUE = "delivery"
MAINTENANCE_QUEUE = "maintenance"
CELERY_QUEUES = (SCORING_QUEUE, DELIVERY_QUEUE, MAINTENANCE_QUEUE)
TASK_SCORE_PENDING = "commentguard.score_pending"
TASK_DELIVER = "commentguard.deliver_verdict"
TASK_ANALYZE = "commentguard.analyze"


def _headers() -> dict[str, Any]:
    # the send time lets /metrics tell how long the oldest message of a queue has waited
    return {"sent_at": time.time()}


class TaskClient:
    """A Celery app used only as a producer."""

    def __init__(self, broker_url: str) -> None:
        self.app = Celery("commentguard-api", broker=broker_url, set_as_current=False)
        self.app.conf.broker_connection_retry_on_startup = True
        self.app.conf.broker_transport_options = {"visibility_timeout": 7200}

    def score_pending(self) -> None:
        self.app.send_task(TASK_SCORE_PENDING, queue=SCORING_QUEUE, headers=_headers())

    def analyze(self, site_id: str, analysis_id: str) -> None:
        """Score a transient text (Perspective analyze) on the scoring queue."""
        self.app.send_task(
            TASK_ANALYZE, args=(site_id, analysis_id), queue=SCORING_QUEUE, headers=_headers()
        )

    def deliver(self, site_id: str, delivery_id: str, **options: Any) -> None:
        self.app.send_task(
            TASK_DELIVER,
            args=(site_id, delivery_id),
            queue=DELIVERY_QUEUE,
            headers=_headers(),
            **options,
        )

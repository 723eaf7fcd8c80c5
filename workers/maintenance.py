"""Periodic sweeps: put back what a dead worker held, re-drive stuck records, kick scoring,
and remove what outlived the retention period."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from service.settings import Settings
from service.store import Store
from service.tasks_client import TaskClient

__all__ = ["SweepReport", "retention", "sweep"]

log = logging.getLogger("commentguard.sweep")


@dataclass(frozen=True)
class SweepReport:
    claims_requeued: int
    pending_requeued: int
    kicked: bool


def sweep(
    store: Store, tasks: TaskClient, settings: Settings, now: float | None = None
) -> SweepReport:
    """Make sure every accepted comment reaches a verdict. Safe to run any number of times."""
    now = time.time() if now is None else now
    expired = store.expired_claims(now - settings.claim_timeout_seconds)
    claims = store.requeue(expired)
    stuck = [m for m, _ in store.stuck_pending(now - settings.pending_redrive_seconds)]
    # a member both queued and re-queued is scored once: scoring skips decided records
    pending = store.requeue(stuck)
    kicked = False
    if store.queue_length() and store.kick_scoring():
        tasks.score_pending()
        kicked = True
    if claims or pending:
        log.warning("sweep re-queued work", extra={"claims": claims, "pending": pending})
    return SweepReport(claims, pending, kicked)


def retention(store: Store, settings: Settings, now: float | None = None) -> dict[str, int]:
    """Remove feed entries, dead letters and index entries older than ``retention_days``.

    Records and deliveries expire by TTL on their own; this trims what has no TTL. Idempotent.
    """
    now = time.time() if now is None else now
    removed = store.trim_expired(now - settings.retention_days * 86400)
    if any(removed.values()):
        log.info("retention removed old data", extra=removed)
    return removed

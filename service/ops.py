"""What operators see and do: the live numbers, the last hour, dead letters and stuck records.

Shared by the admin API (``/v1/admin/ops``), the ``/ops`` page and ``commentguard status``, so all
three show the same figures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import msgspec

from service.store import LATENCY_BUCKETS, Store, WorkerBeat, split_member
from service.tasks_client import CELERY_QUEUES, TaskClient

__all__ = [
    "DeadLetterOut",
    "MinutePoint",
    "OpsSnapshot",
    "Readiness",
    "StuckOut",
    "dead_letters",
    "latency_percentiles",
    "purge_all_dead",
    "purge_dead",
    "readiness",
    "redrive_all_dead",
    "redrive_dead",
    "redrive_stuck",
    "series",
    "snapshot",
    "stuck",
]


class QueueOut(msgspec.Struct):
    depth: int
    oldest_age_seconds: float


class ReviewOut(msgspec.Struct):
    site_id: str
    held: int
    oldest_age_seconds: float


class Totals(msgspec.Struct):
    """Counts since the store was created, summed over every process."""

    accepted: int = 0
    duplicate: int = 0
    invalid: int = 0
    rate_limited: int = 0
    verdicts: dict[str, int] = msgspec.field(default_factory=dict)
    callbacks_delivered: int = 0
    callback_failures: int = 0
    dead_letters: int = 0


class OpsSnapshot(msgspec.Struct):
    at: float
    queues: dict[str, QueueOut]
    pending: int
    pending_oldest_age_seconds: float
    dead_letters: int
    workers: list[WorkerBeat]
    review: list[ReviewOut]
    totals: Totals


class MinutePoint(msgspec.Struct):
    """One minute of the last hour; latencies are bucket upper bounds (None: no verdicts)."""

    at: float
    accepted: int
    verdicts: int
    rejected: int
    depth: int
    callback_failures: int
    dead_letters: int
    latency_p50: float | None
    latency_p99: float | None


class DeadLetterOut(msgspec.Struct):
    site_id: str
    delivery_id: str
    record_id: str
    event: str
    attempts: int
    last_error: str
    created_at: float
    request_id: str


class StuckOut(msgspec.Struct):
    site_id: str
    record_id: str
    member: str
    received_at: float
    age_seconds: float


class Readiness(msgspec.Struct):
    ok: bool
    checks: dict[str, str]
    workers_alive: int = 0
    model_versions: list[str] = msgspec.field(default_factory=list)


def snapshot(store: Store, now: float | None = None) -> OpsSnapshot:
    now = time.time() if now is None else now
    gauges = store.queue_gauges(CELERY_QUEUES, now)
    totals = Totals()
    for name, labels, value in store.counter_values():
        if name == "comments_total":
            outcome = labels.get("outcome", "")
            if outcome in {"accepted", "duplicate", "invalid", "rate_limited"}:
                setattr(totals, outcome, getattr(totals, outcome) + value)
        elif name == "verdicts_total":
            decision = labels.get("decision", "")
            totals.verdicts[decision] = totals.verdicts.get(decision, 0) + value
        elif name == "callback_attempts_total":
            if labels.get("outcome") == "delivered":
                totals.callbacks_delivered += value
            else:
                totals.callback_failures += value
        elif name == "dead_letters_total":
            totals.dead_letters += value
    return OpsSnapshot(
        at=now,
        queues={q: QueueOut(gauges.depth[q], round(gauges.oldest_age[q], 3)) for q in gauges.depth},
        pending=gauges.pending,
        pending_oldest_age_seconds=round(gauges.pending_oldest_age, 3),
        dead_letters=gauges.dead_letters,
        workers=store.live_workers(),
        review=[ReviewOut(s, n, round(a, 3)) for s, n, a in store.review_gauges(now)],
        totals=totals,
    )


def _percentile(counts: Sequence[int], q: float) -> float | None:
    total = sum(counts)
    if not total:
        return None
    rank, running = q * total, 0
    for index, count in enumerate(counts):
        running += count
        if running >= rank:
            return LATENCY_BUCKETS[index] if index < len(LATENCY_BUCKETS) else float("inf")
    return None


def series(store: Store, minutes: int = 60, now: float | None = None) -> list[MinutePoint]:
    """The last ``minutes`` minutes for the charts; also records the current queue depth."""
    now = time.time() if now is None else now
    store.sample_queue_depth(store.queue_length(), now)
    points = []
    for minute in store.minute_series(minutes, now):
        c = minute.counts
        latency = [c.get(f"lat{i}", 0) for i in range(len(LATENCY_BUCKETS) + 1)]
        points.append(
            MinutePoint(
                at=minute.at,
                accepted=c.get("accepted", 0),
                verdicts=c.get("verdicts", 0),
                rejected=c.get("invalid", 0) + c.get("rate_limited", 0),
                depth=c.get("depth", 0),
                callback_failures=c.get("callback_failures", 0),
                dead_letters=c.get("dead_letters", 0),
                latency_p50=_percentile(latency, 0.5),
                latency_p99=_percentile(latency, 0.99),
            )
        )
    return points


def latency_percentiles(
    store: Store, minutes: int = 60, now: float | None = None
) -> tuple[float | None, float | None]:
    """Accept-to-verdict p50 and p99 over the last ``minutes`` (bucket upper bounds)."""
    counts = [0] * (len(LATENCY_BUCKETS) + 1)
    for minute in store.minute_series(minutes, now):
        for index in range(len(counts)):
            counts[index] += minute.counts.get(f"lat{index}", 0)
    return _percentile(counts, 0.5), _percentile(counts, 0.99)


def readiness(store: Store) -> Readiness:
    """Redis answers, at least one worker has a fresh heartbeat, and a live worker has models."""
    if not store.ping():
        return Readiness(False, {"redis": "unreachable", "workers": "unknown", "models": "unknown"})
    workers = store.live_workers()
    loaded = [w for w in workers if w.models_loaded]
    checks = {
        "redis": "ok",
        "workers": "ok" if workers else "no worker heartbeat: is `commentguard worker` running?",
        "models": "ok"
        if loaded
        else (
            "no live worker has loaded the models (see the worker log)"
            if workers
            else "unknown: no worker alive"
        ),
    }
    versions = sorted({w.model_version for w in loaded if w.model_version})
    return Readiness(bool(loaded), checks, len(workers), versions)


def dead_letters(store: Store, limit: int = 100) -> list[DeadLetterOut]:
    return [
        DeadLetterOut(
            site_id=d.site_id,
            delivery_id=d.id,
            record_id=d.record_id,
            event=d.event,
            attempts=d.attempts,
            last_error=d.last_error,
            created_at=d.created_at,
            request_id=d.request_id,
        )
        for d in store.dead_letters(limit)
    ]


def redrive_dead(store: Store, tasks: TaskClient, site_id: str, delivery_id: str) -> bool:
    """Send a dead delivery again, with a fresh retry budget; False if it is not dead."""
    if not store.redrive_dead_letter(site_id, delivery_id):
        return False
    tasks.deliver(site_id, delivery_id)
    store.note_redrive("dead_letter", 1)
    return True


def redrive_all_dead(store: Store, tasks: TaskClient) -> int:
    return sum(redrive_dead(store, tasks, s, d) for s, d in store.dead_letter_ids())


def purge_dead(store: Store, site_id: str, delivery_id: str) -> bool:
    return store.purge_dead_letter(site_id, delivery_id)


def purge_all_dead(store: Store) -> int:
    return sum(store.purge_dead_letter(s, d) for s, d in store.dead_letter_ids())


def stuck(
    store: Store, older_than_seconds: float, limit: int = 100, now: float | None = None
) -> list[StuckOut]:
    """Records still ``pending`` that were received more than ``older_than_seconds`` ago."""
    now = time.time() if now is None else now
    rows = []
    for member, received in store.stuck_pending(now - older_than_seconds, limit):
        site_id, record_id = split_member(member)
        rows.append(StuckOut(site_id, record_id, member, received, round(now - received, 3)))
    return rows


def redrive_stuck(store: Store, tasks: TaskClient, members: Sequence[str] | None = None) -> int:
    """Queue pending records for scoring again (all pending ones when ``members`` is None)."""
    pending = {m for m, _ in store.stuck_pending(time.time(), limit=100_000)}
    chosen = sorted(pending if members is None else pending & set(members))
    count = store.requeue(chosen)
    if count:
        store.note_redrive("pending", count)
        if store.kick_scoring():
            try:
                tasks.score_pending()
            except Exception:  # queued anyway; the sweep kicks scoring when this send failed
                store.clear_kick()
    return count

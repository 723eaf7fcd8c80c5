"""Draining the scoring queue in batches: claim, score, store verdicts, queue callbacks."""

from __future__ import annotations

import logging
import time

from service.authors import author_key
from service.callbacks import queue_callback
from service.schemas import CommentRecord, SitePublic, VerdictEvent
from service.store import ClaimedItem, Store
from service.tasks_client import TaskClient
from workers.pipeline import Pipeline, Scored

__all__ = ["drain", "score_items"]

log = logging.getLogger("commentguard.scoring")


def _store_verdicts(store: Store, tasks: TaskClient, results: list[Scored]) -> list[Scored]:
    """Store a batch of first verdicts; returns those stored (a rerun stores none twice)."""
    outcomes = store.set_verdicts([(s.record, s.verdict, 0) for s in results])
    stored = [(s, cursor) for s, (ok, cursor) in zip(results, outcomes, strict=True) if ok]
    store.bump_reputations(
        [
            (s.site.id, key, s.verdict.status)
            for s, _ in stored
            if (key := author_key(s.record.comment.author))
        ]
    )
    for scored, cursor in stored:
        event = VerdictEvent(
            event="verdict.created",
            site_id=scored.site.id,
            record_id=scored.record.id,
            comment_id=scored.record.comment.id,
            post_id=scored.record.comment.post.id,
            verdict=scored.verdict,
            cursor=cursor,
        )
        delivery_id = queue_callback(store, tasks, scored.record, scored.site, event)
        log.info(
            "verdict stored",
            extra={
                "request_id": scored.record.request_id,
                "site": scored.site.id,
                "record": scored.record.id,
                "decision": scored.verdict.decision,
                "delivery": delivery_id or "",
            },
        )
    return [s for s, _ in stored]


def score_items(
    store: Store, tasks: TaskClient, pipeline: Pipeline, items: list[ClaimedItem]
) -> int:
    """Score claimed items; returns how many verdicts were stored. Safe to repeat."""
    records = store.get_records([(i.site_id, i.record_id) for i in items])
    sites: dict[str, SitePublic | None] = {}
    todo: list[tuple[CommentRecord, SitePublic]] = []
    done: list[ClaimedItem] = []
    for item, record in zip(items, records, strict=True):
        if item.site_id not in sites:
            sites[item.site_id] = store.get_site(item.site_id)
        site = sites[item.site_id]
        if record is None or site is None or record.verdict is not None:
            # expired, site deleted, or scored already by an earlier run of this batch
            store.forget_pending(item.member)
            done.append(item)
            continue
        todo.append((record, site))
    stored = 0
    if todo:
        started = time.monotonic()
        results = pipeline.score(todo)
        batch_seconds = time.monotonic() - started
        done_now = _store_verdicts(store, tasks, results)
        stored = len(done_now)
        store.note_scored(
            batch_seconds,
            [
                (
                    s.site.id,
                    s.verdict.decision,
                    max(0.0, s.verdict.decided_at - s.record.received_at),
                )
                for s in done_now
            ],
        )
    store.release_claims(done)
    return stored


def drain(
    store: Store,
    tasks: TaskClient,
    pipeline: Pipeline,
    batch_size: int,
    budget_seconds: float = 20.0,
) -> int:
    """Score queued comments until the queue is empty or the time budget is spent."""
    store.clear_kick()  # lets intake ask for another drainer while this one works
    deadline = time.monotonic() + budget_seconds
    total = 0
    while True:
        items = store.claim_batch(batch_size)
        if not items:
            break
        total += score_items(store, tasks, pipeline, items)
        if time.monotonic() > deadline:
            if store.queue_length() and store.kick_scoring():
                tasks.score_pending()
            break
    return total

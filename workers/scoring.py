"""Draining the scoring queue in batches: claim, score, store verdicts, queue callbacks."""

from __future__ import annotations

import logging
import time

from service.authors import author_key
from service.callbacks import queue_callback
from service.schemas import (
    DECISION_TO_STATUS,
    CommentRecord,
    Finding,
    SitePublic,
    Verdict,
)
from service.store import ClaimedItem, Store
from service.tasks_client import TaskClient
from workers.pipeline import Pipeline, Scored
from workers.policy import decide

__all__ = ["drain", "score_items"]

log = logging.getLogger("commentguard.scoring")


def _store_verdicts(store: Store, tasks: TaskClient, results: list[Scored]) -> list[Scored]:
    """Store a batch of first verdicts; returns those stored (a rerun stores none twice)."""
    outcomes = store.set_verdicts([(s.record, s.verdict, 0) for s in results])
    stored = [(s, event) for s, event in zip(results, outcomes, strict=True) if event]
    store.bump_reputations(
        [
            (s.site.id, key, s.verdict.status)
            for s, _ in stored
            if (key := author_key(s.record.comment.author))
        ]
    )
    for scored, event in stored:
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


def _fallback(record: CommentRecord, site: SitePublic, error: Exception) -> Scored:
    """A verdict for a comment the pipeline cannot score: never approved (unless in shadow mode)."""
    failed = Finding(
        code="CHECK_FAILED",
        check="pipeline",
        score=0.0,
        detail=f"scoring failed: {type(error).__name__}",
        attribute="meta",
    )
    outcome = decide([failed], {}, site.config.policy, {}, site.config.mode)
    verdict = Verdict(
        decision=outcome.decision,  # type: ignore[arg-type]
        status=DECISION_TO_STATUS[outcome.decision],  # type: ignore[arg-type]
        scores={},
        reasons=outcome.findings,
        decided_by="auto",
        decided_at=time.time(),
        version=1,
        mode=site.config.mode,
        note=outcome.note,
    )
    return Scored(record, site, verdict)


def _score_or_isolate(
    pipeline: Pipeline, todo: list[tuple[CommentRecord, SitePublic]]
) -> list[Scored]:
    """Score a batch; if it fails, score one by one so a single poison comment is held alone.

    Without this a comment that always crashes the pipeline would be re-driven forever and the
    comments batched with it would never get a verdict.
    """
    try:
        return pipeline.score(todo)
    except Exception:
        log.exception("scoring a batch of %d failed; scoring one by one", len(todo))
    results = []
    for record, site in todo:
        try:
            results.extend(pipeline.score([(record, site)]))
        except Exception as exc:
            log.exception("scoring failed", extra={"record": record.id, "site": site.id})
            results.append(_fallback(record, site, exc))
    return results


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
        results = _score_or_isolate(pipeline, todo)
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

"""Celery tasks: thin, ids in, plain functions called. Every task is safe to run twice."""

from __future__ import annotations

from typing import Any

from service.tasks_client import TASK_ANALYZE, TASK_DELIVER, TASK_SCORE_PENDING
from workers.analyze import analyze as run_analysis
from workers.celery_app import app
from workers.delivery import attempt_delivery
from workers.maintenance import retention as run_retention
from workers.maintenance import sweep as run_sweep
from workers.pipeline import Pipeline
from workers.runtime import runtime
from workers.scoring import drain

__all__ = ["analyze", "deliver_verdict", "retention", "retrain_models", "score_pending", "sweep"]

_pipeline: Pipeline | None = None


def _get_pipeline() -> Pipeline:
    global _pipeline
    rt = runtime()
    if _pipeline is None:
        _pipeline = Pipeline(rt.store, rt.model_provider())
    return _pipeline


@app.task(name=TASK_SCORE_PENDING)
def score_pending() -> int:
    rt = runtime()
    return drain(rt.store, rt.tasks, _get_pipeline(), rt.settings.score_batch_size)


@app.task(name=TASK_ANALYZE)
def analyze(site_id: str, analysis_id: str) -> bool:
    rt = runtime()
    return run_analysis(rt.store, rt.model_provider(), site_id, analysis_id)


@app.task(name=TASK_DELIVER, bind=True, max_retries=None)
def deliver_verdict(self: Any, site_id: str, delivery_id: str) -> str:
    rt = runtime()
    outcome = attempt_delivery(rt.store, rt.settings, rt.http, site_id, delivery_id)
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@app.task(name="commentguard.sweep")
def sweep() -> dict[str, Any]:
    rt = runtime()
    report = run_sweep(rt.store, rt.tasks, rt.settings)
    return {"claims": report.claims_requeued, "pending": report.pending_requeued}


@app.task(name="commentguard.retention")
def retention() -> dict[str, int]:
    rt = runtime()
    return run_retention(rt.store, rt.settings)


@app.task(name="commentguard.retrain")
def retrain_models() -> dict[str, Any]:
    """Retrain from feedback and promote if not worse (scheduled by beat when enabled)."""
    from workers.retrain import retrain_from_store

    rt = runtime()
    return retrain_from_store(rt.settings, rt.settings.retrain_data_dir).as_dict()

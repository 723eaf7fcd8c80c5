"""The Celery application of the workers and beat, configured from settings."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_process_shutdown

from service.logs import configure_logging
from service.settings import Settings, get_settings
from service.tasks_client import DELIVERY_QUEUE, MAINTENANCE_QUEUE, SCORING_QUEUE

__all__ = ["MAINTENANCE_QUEUE", "app", "make_celery"]


def _retrain_schedule(settings: Settings) -> dict[str, Any]:
    """Retraining from feedback on a schedule: off unless ``retrain_interval_hours`` is set."""
    if settings.retrain_interval_hours <= 0:
        return {}
    return {
        "retrain": {
            "task": "commentguard.retrain",
            "schedule": settings.retrain_interval_hours * 3600,
        }
    }


def make_celery(settings: Settings) -> Celery:
    celery = Celery("commentguard", broker=settings.redis_url_or_fail(), include=["workers.tasks"])
    celery.conf.update(
        task_ignore_result=True,
        task_acks_late=True,  # every task is idempotent, so redelivery after a crash is safe
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # must exceed the longest countdown (callback backoff cap) or delayed tasks run twice
        broker_transport_options={"visibility_timeout": 7200},
        broker_connection_retry_on_startup=True,
        task_default_queue=SCORING_QUEUE,
        task_routes={
            "commentguard.score_pending": {"queue": SCORING_QUEUE},
            "commentguard.analyze": {"queue": SCORING_QUEUE},
            "commentguard.deliver_verdict": {"queue": DELIVERY_QUEUE},
            "commentguard.sweep": {"queue": MAINTENANCE_QUEUE},
            "commentguard.retention": {"queue": MAINTENANCE_QUEUE},
            "commentguard.retrain": {"queue": MAINTENANCE_QUEUE},
        },
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweep": {"task": "commentguard.sweep", "schedule": settings.sweep_interval_seconds},
            "retention": {
                "task": "commentguard.retention",
                "schedule": settings.retention_sweep_seconds,
            },
            **_retrain_schedule(settings),
        },
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        timezone="UTC",
    )
    return celery


app = make_celery(get_settings())


@setup_logging.connect
def _json_logs(loglevel: Any = None, **_: Any) -> None:
    # connecting this signal stops Celery from installing its own text handlers
    configure_logging(loglevel or get_settings().log_level)


@worker_process_init.connect
def _start_runtime(**_: Any) -> None:
    from workers.runtime import runtime

    runtime().start()


@worker_process_shutdown.connect
def _stop_runtime(**_: Any) -> None:
    from workers.runtime import runtime

    runtime().close()

"""Liveness and readiness probes."""

from __future__ import annotations

import msgspec
from litestar import Response, get

from service import ops
from service.context import Services

__all__ = ["health", "ready"]


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)
    workers_alive: int | None = None
    model_versions: list[str] | None = None


@get("/health", sync_to_thread=False, tags=["ops"])
def health() -> Health:
    """The process is up and answering."""
    return Health(status="ok")


@get("/ready", sync_to_thread=True, tags=["ops"])
def ready(services: Services) -> Response[Health]:
    """Ready to moderate: Redis answers, a worker is alive by heartbeat, its models are loaded.

    Each check says what is wrong when it is not ``ok``.
    """
    result = ops.readiness(services.store)
    return Response(
        Health(
            status="ok" if result.ok else "unready",
            checks=result.checks,
            workers_alive=result.workers_alive,
            model_versions=result.model_versions,
        ),
        status_code=200 if result.ok else 503,
    )

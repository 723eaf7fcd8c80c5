"""Liveness and readiness probes."""

from __future__ import annotations

import msgspec
from litestar import Response, get

from service.context import Services

__all__ = ["health", "ready"]


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


@get("/health", sync_to_thread=False, tags=["ops"])
def health() -> Health:
    """The process is up and answering."""
    return Health(status="ok")


@get("/ready", sync_to_thread=True, tags=["ops"])
def ready(services: Services) -> Response[Health]:
    """Ready to accept comments: the store answers."""
    checks = {"redis": "ok" if services.store.ping() else "unreachable"}
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "unready", checks=checks), status_code=200 if ok else 503
    )

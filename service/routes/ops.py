"""``/metrics`` and the operators' admin API: live numbers, dead letters, stuck records, erasure."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import Parameter

from service import ops
from service.auth import admin_guard, bearer_token
from service.context import Services
from service.metrics import CONTENT_TYPE, render_metrics
from service.validation import decode_body

__all__ = ["OpsAdminController", "metrics"]


@get("/metrics", sync_to_thread=True, tags=["ops"], media_type=CONTENT_TYPE)
def metrics(request: Request[Any, Any, State], services: Services) -> Response[bytes]:
    """Prometheus metrics of the whole deployment (every api process and worker)."""
    expected = services.settings.metrics_token
    if expected:
        given = bearer_token(request)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotAuthorizedException("Send the metrics token as `Authorization: Bearer <t>`")
    return Response(render_metrics(services.store), media_type=CONTENT_TYPE)


class Redriven(msgspec.Struct):
    redriven: int


class Purged(msgspec.Struct):
    purged: int


class StuckRedrive(msgspec.Struct, forbid_unknown_fields=True):
    """Which pending records to queue again: ``members`` (``site|record``), or all."""

    members: list[str] | None = None


class Erased(msgspec.Struct):
    site_id: str
    keys: int
    index_entries: int
    site_removed: bool


class OpsAdminController(Controller):
    path = "/v1/admin"
    tags = ["ops"]
    guards = [admin_guard]

    @get("/ops/summary", sync_to_thread=True)
    def summary(self, services: Services) -> ops.OpsSnapshot:
        """Queues, workers, held items and totals, as ``/metrics`` and ``/ops`` show them."""
        return ops.snapshot(services.store)

    @get("/ops/series", sync_to_thread=True)
    def last_hour(
        self,
        services: Services,
        minutes: Annotated[int, Parameter(ge=1, le=120, required=False)] = 60,
    ) -> list[ops.MinutePoint]:
        return ops.series(services.store, minutes)

    @get("/dead-letters", sync_to_thread=True)
    def dead_letters(
        self,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=1000, required=False)] = 100,
    ) -> list[ops.DeadLetterOut]:
        """Deliveries that gave up, oldest first, each with its last error."""
        return ops.dead_letters(services.store, limit)

    @post("/dead-letters/redrive", status_code=200, sync_to_thread=True)
    def redrive_all(self, services: Services) -> Redriven:
        return Redriven(ops.redrive_all_dead(services.store, services.tasks))

    @post("/dead-letters/{site_id:str}/{delivery_id:str}/redrive", status_code=200)
    async def redrive_one(self, site_id: str, delivery_id: str, services: Services) -> Redriven:
        """Send the delivery again (fresh retry budget, its attempt history kept)."""
        done = await anyio.to_thread.run_sync(
            ops.redrive_dead, services.store, services.tasks, site_id, delivery_id
        )
        if not done:
            raise NotFoundException(f"No dead letter {delivery_id!r} of site {site_id!r}")
        return Redriven(1)

    @delete("/dead-letters", status_code=200, sync_to_thread=True)
    def purge_all(self, services: Services) -> Purged:
        return Purged(ops.purge_all_dead(services.store))

    @delete("/dead-letters/{site_id:str}/{delivery_id:str}", status_code=200, sync_to_thread=True)
    def purge_one(self, site_id: str, delivery_id: str, services: Services) -> Purged:
        if not ops.purge_dead(services.store, site_id, delivery_id):
            raise NotFoundException(f"No dead letter {delivery_id!r} of site {site_id!r}")
        return Purged(1)

    @get("/stuck", sync_to_thread=True)
    def stuck(
        self,
        services: Services,
        older_than: Annotated[float | None, Parameter(ge=0, required=False)] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000, required=False)] = 100,
    ) -> list[ops.StuckOut]:
        """Records still pending after ``older_than`` seconds (default: the re-drive deadline)."""
        wait = services.settings.pending_redrive_seconds if older_than is None else older_than
        return ops.stuck(services.store, wait, limit)

    @post("/stuck/redrive", status_code=200)
    async def redrive_stuck(
        self, request: Request[Any, Any, State], services: Services
    ) -> Redriven:
        body = await request.body()
        data = decode_body(body, StuckRedrive) if body.strip() else StuckRedrive()
        count = await anyio.to_thread.run_sync(
            ops.redrive_stuck, services.store, services.tasks, data.members
        )
        return Redriven(count)

    @delete("/sites/{site_id:str}/data", status_code=200, sync_to_thread=True)
    def erase_site_data(
        self,
        site_id: str,
        services: Services,
        include_site: Annotated[bool, Parameter(required=False)] = False,
    ) -> Erased:
        """Delete every comment, verdict, delivery and signal of a site (GDPR erasure).

        The site and its API key stay unless ``include_site=true``.
        """
        if services.store.get_site(site_id) is None:
            raise NotFoundException(f"No site {site_id!r}")
        removed = services.store.delete_site_data(site_id, include_site)
        return Erased(site_id, removed["keys"], removed["index_entries"], include_site)

"""``/ops``: the operators' page (admin accounts): live numbers, the last hour, and fixing failures.

Everything works without scripts (forms post with the session's CSRF token and come back with a
message); ``/static/ops.js`` only refreshes the numbers and charts every few seconds.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from service import ops
from service.accounts import Principal
from service.charts import Line, line_chart
from service.context import Services

__all__ = [
    "ops_chart",
    "ops_dead_letter_action",
    "ops_dead_letters_all",
    "ops_live",
    "ops_page",
    "ops_stuck_redrive",
]

_CHARTS = ("throughput", "depth", "latency", "failures")


def _back(message: str) -> Redirect:
    return Redirect(path=f"/ops?msg={quote(message)}", status_code=303)


@get("/ops", sync_to_thread=True, include_in_schema=False)
def ops_page(
    services: Services,
    page_admin: Principal,
    msg: Annotated[str, Parameter(max_length=200, required=False)] = "",
) -> Template:
    store, settings = services.store, services.settings
    return Template(
        template_name="ops.html",
        context={
            "account": page_admin.account,
            "csrf_token": page_admin.csrf,
            "message": msg,
            "ready": ops.readiness(store),
            "snap": ops.snapshot(store),
            "dead": ops.dead_letters(store, 200),
            "stuck": ops.stuck(store, settings.pending_redrive_seconds, 200),
            "stuck_after": settings.pending_redrive_seconds,
            "charts": _CHARTS,
        },
    )


@get("/ops/live", sync_to_thread=True, include_in_schema=False)
def ops_live(services: Services, page_admin: Principal) -> dict[str, Any]:
    """The page's numbers, for ``ops.js`` to refresh them in place."""
    del page_admin  # the dependency is the access check
    return {"ready": ops.readiness(services.store), "snap": ops.snapshot(services.store)}


@get("/ops/chart/{name:str}", sync_to_thread=True, include_in_schema=False)
def ops_chart(name: str, services: Services, page_admin: Principal) -> Response[str]:
    """One last-hour chart as SVG, drawn here (no chart library, no CDN)."""
    del page_admin
    name = name.removesuffix(".svg")
    if name not in _CHARTS:
        raise NotFoundException(f"No chart {name!r}")
    points = ops.series(services.store, 60)
    times = [p.at for p in points]
    if name == "throughput":
        svg = line_chart(
            "Throughput (per minute)",
            times,
            [
                Line("accepted", "#2f5bd3", [p.accepted for p in points]),
                Line("verdicts", "#1f8a4c", [p.verdicts for p in points]),
            ],
        )
    elif name == "depth":
        svg = line_chart(
            "Scoring queue depth (max per minute)",
            times,
            [Line("depth", "#b7791f", [p.depth for p in points])],
        )
    elif name == "latency":
        svg = line_chart(
            "Accept to verdict latency",
            times,
            [
                Line("p50", "#2f5bd3", [p.latency_p50 for p in points]),
                Line("p99", "#c23a2b", [p.latency_p99 for p in points]),
            ],
            unit="s",
        )
    else:
        svg = line_chart(
            "Failures (per minute)",
            times,
            [
                Line("failed attempts", "#c23a2b", [p.callback_failures for p in points]),
                Line("dead", "#7a3fc2", [p.dead_letters for p in points]),
                Line("refused", "#667085", [p.rejected for p in points]),
            ],
        )
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@post("/ops/dead-letters/{site_id:str}/{delivery_id:str}/{action:str}", include_in_schema=False)
async def ops_dead_letter_action(
    site_id: str, delivery_id: str, action: str, services: Services, page_admin: Principal
) -> Redirect:
    """``redrive`` or ``purge`` one dead letter (CSRF checked by the ``page_admin`` guard)."""
    del page_admin
    if action == "redrive":
        done = await anyio.to_thread.run_sync(
            ops.redrive_dead, services.store, services.tasks, site_id, delivery_id
        )
        return _back(f"Re-driven {delivery_id}" if done else f"{delivery_id} is not dead")
    if action == "purge":
        done = await anyio.to_thread.run_sync(ops.purge_dead, services.store, site_id, delivery_id)
        return _back(f"Purged {delivery_id}" if done else f"{delivery_id} is not dead")
    raise NotFoundException(f"No action {action!r}")


@post("/ops/dead-letters/{action:str}", include_in_schema=False)
async def ops_dead_letters_all(action: str, services: Services, page_admin: Principal) -> Redirect:
    """``redrive-all`` or ``purge-all`` dead letters."""
    del page_admin
    if action == "redrive-all":
        count = await anyio.to_thread.run_sync(ops.redrive_all_dead, services.store, services.tasks)
        return _back(f"Re-driven {count} dead letters")
    if action == "purge-all":
        count = await anyio.to_thread.run_sync(ops.purge_all_dead, services.store)
        return _back(f"Purged {count} dead letters")
    raise NotFoundException(f"No action {action!r}")


@post("/ops/stuck/redrive", include_in_schema=False)
async def ops_stuck_redrive(
    request: Request[Any, Any, State], services: Services, page_admin: Principal
) -> Redirect:
    """Queue one stuck record (form field ``member``) or every pending one (no ``member``)."""
    del page_admin
    form = await request.form()
    member = form.get("member")
    members = [member] if isinstance(member, str) and member else None
    count = await anyio.to_thread.run_sync(
        ops.redrive_stuck, services.store, services.tasks, members
    )
    return _back(f"Queued {count} records for scoring again")

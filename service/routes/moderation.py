"""``/v1/moderation``: the review queue, item detail, decisions, undo, bulk, audit.

Every endpoint takes the ``moderator`` dependency (session cookie + CSRF, or an API token) and
checks the site against the account: a moderator sees and acts only on their sites.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Stream

from service import moderation
from service.accounts import Principal, allowed_sites, can_access
from service.context import Services
from service.moderation import (
    BulkIn,
    BulkOut,
    DecideIn,
    DecisionOut,
    ItemDetail,
    Moderation,
    ModerationError,
    QueueFilter,
    QueuePage,
    SiteCounts,
)
from service.routes.admin import moderator_out
from service.schemas import ErrorDetail, ModeratorOut
from service.validation import BodyError, decode_body

__all__ = ["AuditEntry", "AuditPage", "MeOut", "ModerationController"]

_encoder = msgspec.json.Encoder()


class MeOut(msgspec.Struct):
    """Who is logged in, and the CSRF token their page sends with every change."""

    account: ModeratorOut
    via: str
    csrf_token: str
    undo_seconds: int


class AuditEntry(msgspec.Struct, omit_defaults=True):
    id: str
    site_id: str
    record_id: str
    action: str
    by: str
    at: float
    status: str
    version: int
    previous: dict[str, Any]
    note: str = ""


class AuditPage(msgspec.Struct):
    entries: list[AuditEntry]
    cursor: str
    has_more: bool


def _mod(services: Services) -> Moderation:
    return Moderation(services.store, services.tasks, services.settings.undo_seconds)


def _filter(**raw: Any) -> QueueFilter:
    given = {k: v for k, v in raw.items() if v not in (None, "")}
    try:
        return msgspec.convert(given, type=QueueFilter, strict=False)
    except msgspec.ValidationError as exc:
        raise BodyError(
            "The query has invalid parameters", [ErrorDetail(field="query", message=str(exc))]
        ) from None


_STREAM_ID = re.compile(r"^([0-9]{1,20})-([0-9]{1,20})$")


def _check_stream_cursor(cursor: str) -> None:
    """A stream cursor is ``<ms>-<seq>``, as the listing gave it out: else a 400, not a 503."""
    match = _STREAM_ID.match(cursor)
    if cursor and (match is None or max(int(g) for g in match.groups()) >= 2**64):
        raise BodyError(
            "Bad cursor",
            [ErrorDetail(field="cursor", message="Not a cursor this listing gave out")],
            status_code=400,
        )


def _audit_rows(
    services: Services, principal: Principal, site: str, cursor: str, newest_first: bool
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Audit entries the principal may read (their sites; an admin: all), after ``cursor``."""
    _check_stream_cursor(cursor)
    if site and not can_access(principal.account, site):
        raise ModerationError(403, f"You do not moderate site {site!r}")
    sites = {site} if site else set(allowed_sites(services.store, principal.account))
    while True:
        rows = services.store.audit_entries(cursor, 500, newest_first)
        if not rows:
            return
        for entry_id, entry in rows:
            cursor = entry_id
            if entry.get("site_id") in sites:
                yield entry_id, entry


Str40 = Annotated[str, Parameter(max_length=40, required=False)]
# ``site`` is the name of the site-API-key dependency, so the query parameter is renamed
SiteParam = Annotated[str, Parameter(query="site", max_length=40, required=False)]


class ModerationController(Controller):
    path = "/v1/moderation"
    tags = ["moderation"]

    @get("/me", sync_to_thread=False)
    def me(self, services: Services, moderator: Principal) -> MeOut:
        return MeOut(
            account=moderator_out(moderator.account),
            via=moderator.via,
            csrf_token=moderator.csrf,
            undo_seconds=services.settings.undo_seconds,
        )

    @get("/counts", sync_to_thread=True)
    def counts(
        self, services: Services, moderator: Principal, site_filter: SiteParam = ""
    ) -> list[SiteCounts]:
        """Items per status on each of the moderator's sites."""
        return moderation.counts(services.store, moderator, site_filter)

    @get("/queue", sync_to_thread=True)
    def queue(
        self,
        services: Services,
        moderator: Principal,
        site_filter: SiteParam = "",
        status: Str40 = "",
        attribute: Str40 = "",
        min_score: Annotated[float | None, Parameter(required=False)] = None,
        source: Str40 = "",
        author: Annotated[str, Parameter(max_length=320, required=False)] = "",
        q: Annotated[str, Parameter(max_length=200, required=False)] = "",
        sort: Str40 = "",
        cursor: Annotated[str, Parameter(max_length=200, required=False)] = "",
        limit: Annotated[int, Parameter(ge=1, le=200, required=False)] = 50,
    ) -> QueuePage:
        """Held items by default; filter by status, attribute over a score, decision source,
        author, text; sort newest, oldest or by score; page with ``cursor``."""
        flt = _filter(
            site=site_filter,
            status=status,
            attribute=attribute,
            min_score=min_score,
            source=source,
            author=author,
            q=q,
            sort=sort,
        )
        return moderation.list_queue(services.store, moderator, flt, cursor, limit)

    @get("/items/{site_id:str}/{record_id:str}", sync_to_thread=True)
    def item(
        self, site_id: str, record_id: str, services: Services, moderator: Principal
    ) -> ItemDetail:
        """The comment, its scores and findings with spans, the author's history on the site,
        and the delivery status of its callbacks."""
        return moderation.item_detail(services.store, moderator, site_id, record_id)

    @post("/items/{site_id:str}/{record_id:str}/decision", status_code=200)
    async def decide(
        self,
        site_id: str,
        record_id: str,
        request: Request[Any, Any, State],
        services: Services,
        moderator: Principal,
    ) -> DecisionOut:
        """approve, reject, spam or not_spam, with an optional note."""
        data = decode_body(await request.body(), DecideIn)
        return await anyio.to_thread.run_sync(
            moderation.decide, _mod(services), moderator, site_id, record_id, data
        )

    @post("/items/{site_id:str}/{record_id:str}/undo", status_code=200, sync_to_thread=True)
    def undo(
        self, site_id: str, record_id: str, services: Services, moderator: Principal
    ) -> DecisionOut:
        """Put back the verdict the last decision replaced (within ``undo_seconds``)."""
        return moderation.undo(_mod(services), moderator, site_id, record_id)

    @post("/bulk", status_code=200)
    async def bulk(
        self, request: Request[Any, Any, State], services: Services, moderator: Principal
    ) -> BulkOut:
        """Decide a selection, or everything a filter matches (``dry_run`` shows the count,
        ``expected_count`` confirms it)."""
        data = decode_body(await request.body(), BulkIn)
        return await anyio.to_thread.run_sync(
            moderation.bulk_decide, _mod(services), moderator, data
        )

    @get("/sites/{site_id:str}/word-suggestions", sync_to_thread=True)
    def word_suggestions(
        self, site_id: str, services: Services, moderator: Principal
    ) -> list[dict[str, Any]]:
        """Words often in comments moderators flagged and never in ones they approved."""
        return moderation.word_suggestions(services.store, moderator, site_id)

    @get("/audit", sync_to_thread=True)
    def audit(
        self,
        services: Services,
        moderator: Principal,
        site_filter: SiteParam = "",
        cursor: Str40 = "",
        limit: Annotated[int, Parameter(ge=1, le=500, required=False)] = 100,
    ) -> AuditPage:
        """Every decision, newest first: who, what, when, and the state before."""
        entries: list[AuditEntry] = []
        has_more = False
        for entry_id, entry in _audit_rows(services, moderator, site_filter, cursor, True):
            if len(entries) >= limit:
                has_more = True
                break
            entries.append(_audit_entry(entry_id, entry))
        return AuditPage(
            entries=entries, cursor=entries[-1].id if has_more else "", has_more=has_more
        )

    @get("/audit/export", sync_to_thread=True)
    def audit_export(
        self, services: Services, moderator: Principal, site_filter: SiteParam = ""
    ) -> Response[Any]:
        """The audit log as JSON lines, oldest first."""
        rows = list(_audit_rows(services, moderator, site_filter, "", False))

        def lines() -> Iterator[bytes]:
            for entry_id, entry in rows:
                yield _encoder.encode(_audit_entry(entry_id, entry)) + b"\n"

        return Stream(
            lines(),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="commentguard-audit.jsonl"'},
        )


def _audit_entry(entry_id: str, entry: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        site_id=str(entry["site_id"]),
        record_id=str(entry["record_id"]),
        action=str(entry["action"]),
        by=str(entry["by"]),
        at=float(entry["at"]),
        status=str(entry["status"]),
        version=int(entry["version"]),
        previous=dict(entry.get("previous") or {}),
        note=str(entry.get("note", "")),
    )

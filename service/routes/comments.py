"""Intake and reading of comments: ``POST /v1/comments``, ``GET /v1/comments/{id}``, the feed."""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from service.context import Services, error_response
from service.logs import current_request_id
from service.schemas import CommentIn, CommentRecord, ErrorDetail, SitePublic, VerdictEvent
from service.store import IntakeResult
from service.validation import BodyError, decode_body

__all__ = [
    "Accepted",
    "CommentOut",
    "CommentsController",
    "FeedOut",
    "RateLimitedError",
    "accept_comment",
    "charge_rate_limits",
    "rate_buckets",
    "validate_limits",
]

log = logging.getLogger("commentguard.intake")


class CommentOut(msgspec.Struct, omit_defaults=True):
    """A comment record as the blog sees it."""

    id: str
    comment_id: str
    status: str
    status_url: str
    received_at: float
    verdict: Any = None
    duplicate: bool = False


class FeedOut(msgspec.Struct):
    """A page of the site's verdict feed; pass ``cursor`` back to get what came after."""

    events: list[VerdictEvent]
    cursor: str
    has_more: bool


def _out(services: Services, record: CommentRecord, duplicate: bool = False) -> CommentOut:
    return CommentOut(
        id=record.id,
        comment_id=record.comment.id,
        status=record.status,
        status_url=f"{services.settings.public_url.rstrip('/')}/v1/comments/{record.id}",
        received_at=record.received_at,
        verdict=record.verdict,
        duplicate=duplicate,
    )


def rate_buckets(services: Services, site: SitePublic, comment: CommentIn | None) -> list[Any]:
    settings = services.settings
    limits = site.config.rate_limits
    burst = max(1.0, settings.rate_burst_factor)

    def bucket(kind: str, value: str, per_minute: int) -> tuple[str, str, float, float]:
        return (kind, value, per_minute / 60.0, max(1.0, per_minute * burst))

    buckets = [bucket("site", site.id, limits.site_per_minute or settings.rate_site_per_minute)]
    if comment is None:  # a request about text only (Perspective): the site's bucket alone
        return buckets
    if comment.author.ip:
        buckets.append(
            bucket("ip", comment.author.ip, limits.ip_per_minute or settings.rate_ip_per_minute)
        )
    if comment.author.email:
        buckets.append(
            bucket(
                "email",
                comment.author.email.strip().lower(),
                limits.email_per_minute or settings.rate_email_per_minute,
            )
        )
    return buckets


def validate_limits(services: Services, comment: CommentIn) -> None:
    limit = services.settings.max_content_chars
    if len(comment.content) > limit:
        raise BodyError(
            "The body has invalid fields",
            [ErrorDetail(field="content", message=f"Expected at most {limit} characters")],
        )
    if not comment.content.strip():
        raise BodyError(
            "The body has invalid fields",
            [ErrorDetail(field="content", message="Must not be empty")],
        )


class RateLimitedError(Exception):
    def __init__(self, retry_after: float, limited_by: str) -> None:
        self.retry_after = retry_after
        self.limited_by = limited_by

    @property
    def seconds(self) -> int:
        """Whole seconds for ``Retry-After``."""
        return max(1, math.ceil(self.retry_after))


def charge_rate_limits(services: Services, site: SitePublic, comment: CommentIn | None) -> None:
    """Take a token from each of the request's buckets, or raise :class:`RateLimitedError`."""
    verdict = services.store.check_rate_limits(site.id, rate_buckets(services, site, comment))
    if not verdict.allowed:
        raise RateLimitedError(verdict.retry_after_seconds, verdict.limited_by)


def _intake(
    services: Services, site: SitePublic, comment: CommentIn, request_id: str
) -> IntakeResult:
    store = services.store
    result = store.accept_comment(
        site.id, comment, request_id, rate_buckets(services, site, comment)
    )
    if result.rate_limited is not None:
        raise RateLimitedError(
            result.rate_limited.retry_after_seconds, result.rate_limited.limited_by
        )
    log.info(
        "comment accepted" if result.created else "comment repeated",
        extra={"site": site.id, "record": result.record_id},
    )
    if result.kick:
        try:
            services.tasks.score_pending()
        except Exception:  # the record is queued; the sweep kicks scoring if this send failed
            store.clear_kick()
    return result


@dataclass(frozen=True)
class Accepted:
    """What intake made of a comment: the record (with its verdict when one came in time)."""

    record: CommentRecord
    created: bool


async def accept_comment(
    services: Services, site: SitePublic, comment: CommentIn, request_id: str, wait: float
) -> Accepted:
    """Rate limits, idempotency, store and queue; then wait up to ``wait`` seconds (capped by
    settings) for the verdict. Every intake (native and compat) goes through here.

    Raises :class:`RateLimitedError` when a bucket is empty (nothing was stored).
    """
    result = await anyio.to_thread.run_sync(_intake, services, site, comment, request_id)
    store = services.store
    timeout = min(wait, services.settings.max_wait_seconds)
    if timeout > 0:
        member = f"{site.id}|{result.record_id}"

        async def decided() -> bool:
            version = await anyio.to_thread.run_sync(
                store.record_version, site.id, result.record_id
            )
            return version > 0

        await services.waiter.wait(member, timeout, decided)
    if result.created and timeout <= 0:
        # nothing to read back: the record was written pending a moment ago
        record = CommentRecord(
            id=result.record_id, site_id=site.id, comment=comment, received_at=result.received_at
        )
    else:
        found = await anyio.to_thread.run_sync(store.get_record, site.id, result.record_id)
        if found is None:  # retention removed it since: only for very old repeats
            raise NotFoundException("The comment's record has expired")
        record = found
    return Accepted(record, result.created)


class CommentsController(Controller):
    path = "/v1"
    tags = ["comments"]

    @post("/comments", status_code=202)
    async def create_comment(
        self,
        request: Request[Any, Any, State],
        services: Services,
        site: SitePublic,
        wait: Annotated[float, Parameter(ge=0, le=600, required=False)] = 0.0,
    ) -> Response[Any]:
        """Accept a comment for scoring: 202 at once, or 200 with the verdict on ``?wait``."""
        try:
            comment = decode_body(await request.body(), CommentIn)
            validate_limits(services, comment)
        except BodyError:
            await anyio.to_thread.run_sync(services.store.note_intake, site.id, "invalid")
            raise
        request_id = current_request_id() or uuid.uuid4().hex
        try:
            accepted = await accept_comment(services, site, comment, request_id, wait)
        except RateLimitedError as limited:
            return error_response(
                429,
                f"Rate limit per {limited.limited_by} exceeded; retry after {limited.seconds} s",
                [ErrorDetail(field=_LIMIT_FIELDS[limited.limited_by], message="rate limited")],
                headers={"Retry-After": str(limited.seconds)},
            )
        record = accepted.record
        headers = {"X-Request-Id": request_id}
        if not accepted.created:
            headers["Idempotent-Replayed"] = "true"
        status = 202 if record.verdict is None else 200
        return Response(
            _out(services, record, duplicate=not accepted.created),
            status_code=status,
            headers=headers,
        )

    @get("/comments/{record_id:str}", sync_to_thread=True)
    def get_comment(self, record_id: str, services: Services, site: SitePublic) -> CommentOut:
        """The record and its verdict; only the site that sent a comment can read it."""
        record = services.store.get_record(site.id, record_id)
        if record is None:
            raise NotFoundException(f"No comment {record_id!r} on this site")
        return _out(services, record)

    @get("/verdicts", sync_to_thread=True)
    def verdict_feed(
        self,
        services: Services,
        site: SitePublic,
        # a feed cursor is a Redis stream id, "<ms>-<seq>", as the previous page returned it
        cursor: Annotated[
            str, Parameter(max_length=40, pattern=r"^(\d{1,20}-\d{1,20})?$", required=False)
        ] = "",
        limit: Annotated[int, Parameter(ge=1, le=1000, required=False)] = 100,
    ) -> FeedOut:
        """Verdict changes of the site in order; for blogs that cannot receive callbacks."""
        events, next_cursor = services.store.feed(site.id, cursor, limit + 1)
        has_more = len(events) > limit
        events = events[:limit]
        if has_more:
            next_cursor = events[-1].cursor
        return FeedOut(events=events, cursor=next_cursor, has_more=has_more)


_LIMIT_FIELDS = {"site": "site", "ip": "author.ip", "email": "author.email"}

"""The Akismet API (v1.1), drop-in: a blog plugin switches to Commentguard by its host name.

``comment-check`` is a comment like any other: the form becomes a :class:`CommentIn` (its id a
hash of the fields, since Akismet has no comment id), goes through native intake (rate limits,
idempotency, queue) and the handler waits for the workers' verdict. ``submit-spam`` and
``submit-ham`` are moderator decisions when the comment is known, plain feedback labels when not.

Akismet answers errors with the body ``invalid`` and an ``X-akismet-debug-help`` header; so do we.
The API key is the site's Commentguard key, as the ``api_key`` (or ``key``) field or as the
leftmost label of the Host header (``<key>.rest.akismet.com``).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import ipaddress
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio
import msgspec
from litestar import MediaType, Request, Response, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from service.accounts import Principal
from service.auth import site_for_key
from service.context import Services
from service.logs import current_request_id
from service.moderation import (
    ACTIONS,
    Action,
    DecideIn,
    Moderation,
    ModerationError,
    decide,
    feedback_entry,
)
from service.routes.comments import RateLimitedError, accept_comment, validate_limits
from service.schemas import Account, CommentIn, PolicyConfig, SitePublic, Verdict
from service.validation import BodyError, decode_body

__all__ = [
    "ROUTES",
    "AkismetError",
    "blatant",
    "comment_check",
    "comment_from_form",
    "comment_id_for",
    "key_from",
    "parse_form",
    "submit_ham",
    "submit_spam",
    "verify_key",
]

log = logging.getLogger("commentguard.akismet")

THANKS = "Thanks for making the web a better place."
DISCARD_FACTOR = 2.0
"""Spam whose total is this many times the site's spam threshold is blatant: pro-tip discard."""

# CommentIn field path -> the Akismet form field it comes from
_FORM_FIELDS: dict[str, str] = {
    "content": "comment_content",
    "author.name": "comment_author",
    "author.email": "comment_author_email",
    "author.url": "comment_author_url",
    "author.ip": "user_ip",
    "author.user_agent": "user_agent",
    "post.url": "permalink",
    "post.lang": "blog_lang",
    "created_at": "comment_date_gmt",
    "signals.referrer": "referrer",
}
# the fields that say which comment this is (what a later submit-spam sends again)
_IDENTITY = (
    "blog",
    "permalink",
    "comment_type",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_content",
    "user_ip",
    "user_agent",
)


class AkismetError(Exception):
    """Answered as Akismet does: body ``invalid``, what is wrong in ``X-akismet-debug-help``."""

    def __init__(self, help_text: str, status: int = 200, headers: dict[str, str] | None = None):
        super().__init__(help_text)
        self.help_text = help_text
        self.status = status
        self.headers = headers or {}


def _pair(part: bytes) -> tuple[bytes, bytes]:
    name, _, value = part.partition(b"=")
    return unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))


def parse_form(body: bytes) -> dict[str, str]:
    """The form fields (first value of each), decoded with the declared ``blog_charset``."""
    pairs = [_pair(part) for part in body.split(b"&") if part]
    charset = "utf-8"
    for name, value in pairs:
        if name == b"blog_charset" and value:
            with contextlib.suppress(LookupError):
                charset = codecs.lookup(value.decode("ascii", "replace")).name
    form: dict[str, str] = {}
    for name, value in pairs:
        key = name.decode(charset, "replace")
        form.setdefault(key, value.decode(charset, "replace"))
    return form


def key_from(form: Mapping[str, str], host: str) -> str:
    """The API key: the ``api_key``/``key`` field, else the Host's leftmost label."""
    key = form.get("api_key") or form.get("key") or ""
    if key:
        return key
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else ""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        return ""  # called by address: no label to read
    label, dot, _ = name.partition(".")
    return label if dot else ""


def comment_id_for(form: Mapping[str, str]) -> str:
    """A stable comment id from the fields that identify a comment; Akismet sends none."""
    digest = hashlib.sha256()
    for name in _IDENTITY:
        digest.update(name.encode() + b"\0" + form.get(name, "").encode() + b"\0")
    return "ak_" + digest.hexdigest()[:40]


def comment_from_form(form: Mapping[str, str]) -> CommentIn:
    """The native comment for an Akismet form, held to the native field limits."""
    honeypot_field = form.get("honeypot_field_name", "")
    honeypot = form.get(honeypot_field, "") if honeypot_field else ""
    raw: dict[str, Any] = {
        "id": comment_id_for(form),
        "content": form.get("comment_content", ""),
        "author": {
            "name": form.get("comment_author", ""),
            "email": form.get("comment_author_email", ""),
            "url": form.get("comment_author_url", ""),
            "ip": form.get("user_ip", ""),
            "user_agent": form.get("user_agent", ""),
        },
        "post": {
            "url": form.get("permalink", ""),
            "lang": form.get("blog_lang", "").split(",")[0].strip(),
        },
        "created_at": form.get("comment_date_gmt", ""),
        "signals": {"referrer": form.get("referrer", "")},
    }
    if honeypot:
        raw["signals"]["honeypot"] = honeypot
    try:
        return decode_body(msgspec.json.encode(raw), CommentIn)
    except BodyError as exc:
        raise AkismetError(_help(exc, honeypot_field)) from None


def _help(exc: BodyError, honeypot_field: str = "") -> str:
    fields = {**_FORM_FIELDS, "signals.honeypot": honeypot_field or "honeypot"}
    return "; ".join(
        f'Invalid "{fields.get(d.field, d.field)}" value: {d.message}' for d in exc.details
    )


def blatant(verdict: Verdict, policy: PolicyConfig) -> bool:
    """Spam so clear the blog may drop it unseen (Akismet's ``X-akismet-pro-tip: discard``)."""
    if verdict.decision not in ("spam", "reject"):
        return False
    codes = {f.code for f in verdict.reasons}
    return "BLOCKED_WORD" in codes or verdict.spam_total >= DISCARD_FACTOR * policy.spam_spam


def check_answer(verdict: Verdict | None, policy: PolicyConfig) -> tuple[str, dict[str, str]]:
    """Body and headers of a comment-check answer: ``true`` for spam and reject."""
    if verdict is None:
        return "false", {"X-Commentguard-Status": "pending"}
    headers: dict[str, str] = {"X-Commentguard-Status": verdict.status}
    if verdict.decision in ("spam", "reject"):
        if blatant(verdict, policy):
            headers["X-akismet-pro-tip"] = "discard"
        return "true", headers
    return "false", headers


def _text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(body, status_code=status, media_type=MediaType.TEXT, headers=headers)


def _invalid(exc: AkismetError) -> Response[str]:
    return _text("invalid", exc.status, {"X-akismet-debug-help": exc.help_text, **exc.headers})


@dataclass(frozen=True)
class _Call:
    site: SitePublic
    form: dict[str, str]


async def _call(request: Request[Any, Any, State], services: Services) -> _Call:
    """Read the form and find the site; raises :class:`AkismetError` for what Akismet refuses."""
    try:
        body = await request.body()
    except HTTPException as exc:
        if exc.status_code == 413:
            limit = services.settings.max_body_bytes
            raise AkismetError(f"The request body is over {limit} bytes", 413) from None
        raise
    form = parse_form(body)
    key = key_from(form, request.headers.get("host", ""))
    if not key:
        raise AkismetError('Empty "api_key" value: send it as a field or as <key>.<host>')
    site = await anyio.to_thread.run_sync(site_for_key, services.store, key)
    if site is None:
        raise AkismetError("The API key is not valid")
    if not form.get("blog", "").strip():
        raise AkismetError('Empty "blog" value')
    return _Call(site, form)


def _comment(services: Services, form: Mapping[str, str]) -> CommentIn:
    comment = comment_from_form(form)
    try:
        validate_limits(services, comment)
    except BodyError as exc:
        raise AkismetError(_help(exc)) from None
    return comment


@post("/1.1/verify-key", status_code=200)
async def verify_key(request: Request[Any, Any, State], services: Services) -> Response[str]:
    """``valid`` for a known key (field ``key`` or ``api_key``, or the Host label)."""
    try:
        await _call(request, services)
    except AkismetError as exc:
        return _invalid(exc)
    return _text("valid")


@post("/1.1/comment-check", status_code=200)
async def comment_check(request: Request[Any, Any, State], services: Services) -> Response[str]:
    """``true`` (spam) or ``false``, after the workers' verdict or ``max_wait_seconds``."""
    try:
        call = await _call(request, services)
        site, form = call.site, call.form
        if not form.get("user_ip", "").strip():
            raise AkismetError('Empty "user_ip" value')
        if form.get("user_role", "").strip().lower() == "administrator":
            return _text("false")  # as Akismet: an administrator's comment is never spam
        try:
            comment = _comment(services, form)
        except AkismetError:
            await anyio.to_thread.run_sync(services.store.note_intake, site.id, "invalid")
            raise
        request_id = current_request_id() or uuid.uuid4().hex
        try:
            accepted = await accept_comment(
                services, site, comment, request_id, services.settings.max_wait_seconds
            )
        except RateLimitedError as limited:
            raise AkismetError(
                f"Rate limit per {limited.limited_by} exceeded; retry after {limited.seconds} s",
                headers={"Retry-After": str(limited.seconds)},
            ) from None
    except AkismetError as exc:
        return _invalid(exc)
    record = accepted.record
    text, headers = check_answer(record.verdict, site.config.policy)
    headers["X-akismet-guid"] = record.id
    headers["X-Commentguard-Record"] = record.id
    return _text(text, headers=headers)


@dataclass(frozen=True)
class _Reporter(Principal):
    """A site reporting through Akismet's submit calls, named so in audit and labels."""

    @property
    def label(self) -> str:
        return f"akismet:{self.account.id}"


def _report(services: Services, site: SitePublic, comment: CommentIn, spam: bool) -> None:
    """A moderator-style decision when the comment was checked here, else a feedback label."""
    action: Action = "spam" if spam else "not_spam"
    store = services.store
    reporter = _Reporter(
        account=Account(id=site.id, email="", password_hash="", created_at=0.0, sites=[site.id]),
        via="akismet",
    )
    record_id = store.record_for_comment_id(site.id, comment.id)
    record = store.get_record(site.id, record_id) if record_id else None
    if record is not None and record.verdict is not None:
        if record.verdict.decided_by == reporter.label and record.status == ACTIONS[action][1]:
            return  # a retried report: decided so already
        mod = Moderation(store, services.tasks, services.settings.undo_seconds)
        try:
            decide(mod, reporter, site.id, record.id, DecideIn(action=action, note="akismet"))
            return
        except ModerationError:  # not scored yet, or decided meanwhile: the label still counts
            pass
    entry = feedback_entry(
        site.id,
        record_id or comment.id,
        comment,
        action,
        ACTIONS[action][2],
        reporter.label,
        time.time(),
    )
    store.add_feedback(entry)


async def _submit(
    request: Request[Any, Any, State], services: Services, spam: bool
) -> Response[str]:
    try:
        call = await _call(request, services)
        comment = _comment(services, call.form)
    except AkismetError as exc:
        return _invalid(exc)
    if call.form.get("is_test", "").strip() not in ("", "0", "false"):
        return _text(THANKS)  # a test call teaches nothing
    await anyio.to_thread.run_sync(_report, services, call.site, comment, spam)
    log.info("akismet report", extra={"site": call.site.id, "spam": spam})
    return _text(THANKS)


@post("/1.1/submit-spam", status_code=200)
async def submit_spam(request: Request[Any, Any, State], services: Services) -> Response[str]:
    """A missed spam: becomes a ``spam`` label (and decision, when the comment is known)."""
    return await _submit(request, services, spam=True)


@post("/1.1/submit-ham", status_code=200)
async def submit_ham(request: Request[Any, Any, State], services: Services) -> Response[str]:
    """A false positive: becomes a ``not_spam`` label (and decision, when known)."""
    return await _submit(request, services, spam=False)


ROUTES = [verify_key, comment_check, submit_spam, submit_ham]

"""The Perspective API (v1alpha1), drop-in for the toxicity attributes (Google ends it after 2026).

``comments:analyze`` scores a text without making a comment record of it: the request is stored
under a short TTL, a worker scores it (``commentguard.analyze``) and publishes on the verdict
channel, the handler wakes on that (the same :class:`VerdictWaiter` as ``?wait``). With
``doNotStore`` the request and its result are deleted as soon as the answer is made.
``comments:suggestscore`` keeps the suggested scores as feedback labels for retraining.

Errors have Google's shape: ``{"error": {"code", "message", "status", "details"}}``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from service.auth import bearer_token, site_for_key
from service.context import Services
from service.moderation import feedback_entry
from service.routes.comments import RateLimitedError, charge_rate_limits
from service.schemas import AnalysisRequest, AnalysisResult, CommentIn, SitePublic
from service.validation import BodyError, decode_body

__all__ = [
    "ATTRIBUTES",
    "ROUTES",
    "AnalyzeIn",
    "AnalyzeOut",
    "PerspectiveError",
    "analyze",
    "answer",
    "check_request",
    "suggest_score",
]

log = logging.getLogger("commentguard.perspective")

# Perspective's production attributes -> our model's names
ATTRIBUTES: dict[str, str] = {
    "TOXICITY": "toxicity",
    "SEVERE_TOXICITY": "severe_toxicity",
    "IDENTITY_ATTACK": "identity_attack",
    "INSULT": "insult",
    "PROFANITY": "profanity",
    "THREAT": "threat",
}
_SERVICE = "commentanalyzer.googleapis.com"
_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


class TextEntry(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    text: str
    type: str = "PLAIN_TEXT"


class AttributeParameters(
    msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename="camel"
):
    score_type: str = "PROBABILITY"
    score_threshold: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None = None


Language = Annotated[str, msgspec.Meta(max_length=35)]
Token = Annotated[str, msgspec.Meta(max_length=256)]


class AnalyzeIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename="camel"):
    """Body of ``comments:analyze``, as Perspective takes it."""

    comment: TextEntry
    requested_attributes: dict[str, AttributeParameters]
    languages: Annotated[list[Language], msgspec.Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )
    do_not_store: bool = False
    span_annotations: bool = False
    client_token: Token = ""
    session_id: Token = ""
    community_id: Token = ""
    context: Any = None


class Score(msgspec.Struct):
    value: float
    type: str = "PROBABILITY"


class SpanOut(msgspec.Struct):
    begin: int
    end: int
    score: Score


class AttributeOut(msgspec.Struct, rename="camel"):
    span_scores: list[SpanOut]
    summary_score: Score


class AnalyzeOut(msgspec.Struct, omit_defaults=True, rename="camel"):
    attribute_scores: dict[str, AttributeOut]
    languages: list[str]
    detected_languages: list[str]
    client_token: str = ""


class SummaryIn(msgspec.Struct):
    value: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    type: str = "PROBABILITY"


class SuggestedAttribute(msgspec.Struct, rename="camel"):
    summary_score: SummaryIn
    span_scores: Any = None


class SuggestIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename="camel"):
    """Body of ``comments:suggestscore``: the scores a person thinks the text deserves."""

    comment: TextEntry
    attribute_scores: dict[str, SuggestedAttribute]
    languages: Annotated[list[Language], msgspec.Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )
    client_token: Token = ""
    community_id: Token = ""
    session_id: Token = ""
    context: Any = None


class SuggestOut(msgspec.Struct, omit_defaults=True, rename="camel"):
    client_token: str = ""


class PerspectiveError(Exception):
    """An answer in Google's error format; ``details`` are its typed detail objects."""

    def __init__(
        self,
        code: int,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def response(self) -> Response[dict[str, Any]]:
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": _STATUS.get(self.code, "UNKNOWN"),
                "details": self.details,
            }
        }
        return Response(body, status_code=self.code, headers=self.headers or None)


def _bad_request(message: str, violations: list[tuple[str, str]]) -> PerspectiveError:
    return PerspectiveError(
        400,
        message,
        [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": f, "description": d} for f, d in violations],
            }
        ],
    )


def _english(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] == "en"


def check_request(
    text: str, attributes: list[str], languages: list[str], max_chars: int
) -> list[str]:
    """Our names of the requested attributes, or a :class:`PerspectiveError` naming the field."""
    unknown = [a for a in attributes if a not in ATTRIBUTES]
    if unknown:
        raise _bad_request(
            f"Unknown requested attribute: {', '.join(unknown)}; "
            f"supported: {', '.join(ATTRIBUTES)}",
            [(f"requestedAttributes.{a}", "unknown attribute") for a in unknown],
        )
    if not attributes:
        raise _bad_request(
            "requestedAttributes must not be empty",
            [("requestedAttributes", "request at least one attribute")],
        )
    others = [lang for lang in languages if not _english(lang)]
    if others:
        raise PerspectiveError(
            400,
            f"Attribute {attributes[0]} does not support request languages: {', '.join(others)}",
            [
                {
                    "@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
                    "errorType": "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
                    "languageNotSupportedByAttributeError": {
                        "detectedLanguages": others,
                        "attribute": attributes[0],
                    },
                },
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [
                        {"field": "languages", "description": "only en is supported"}
                    ],
                },
            ],
        )
    if not text.strip():
        raise _bad_request("Comment text was empty", [("comment.text", "must not be empty")])
    if len(text) > max_chars:
        raise _bad_request(
            f"Comment text too long: at most {max_chars} characters",
            [("comment.text", f"at most {max_chars} characters")],
        )
    return [ATTRIBUTES[a] for a in attributes]


def answer(data: AnalyzeIn, result: AnalysisResult) -> AnalyzeOut:
    """The analyze answer: thresholds drop attributes, spans default to the whole text."""
    whole = len(data.comment.text)
    scores: dict[str, AttributeOut] = {}
    for name, params in data.requested_attributes.items():
        scored = result.scores[ATTRIBUTES[name]]
        if params.score_threshold is not None and scored.value < params.score_threshold:
            continue
        spans = [SpanOut(s.begin, s.end, Score(s.score)) for s in scored.spans]
        scores[name] = AttributeOut(
            span_scores=spans or [SpanOut(0, whole, Score(scored.value))],
            summary_score=Score(scored.value),
        )
    return AnalyzeOut(
        attribute_scores=scores,
        languages=data.languages or ["en"],
        detected_languages=["en"],
        client_token=data.client_token,
    )


def _decode(body: bytes, struct: type[Any]) -> Any:
    try:
        return decode_body(body, struct)
    except BodyError as exc:
        message = "Invalid JSON payload received" if exc.status_code == 400 else exc.message
        raise _bad_request(message, [(d.field, d.message) for d in exc.details]) from None


async def _site(request: Request[Any, Any, State], services: Services) -> SitePublic:
    """The caller's site by ``?key=`` or ``Authorization: Bearer``, as Google checks keys."""
    key = request.query_params.get("key") or bearer_token(request)
    if not key:
        raise PerspectiveError(
            403,
            "The request is missing a valid API key.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_MISSING",
                    "domain": "googleapis.com",
                    "metadata": {"service": _SERVICE},
                }
            ],
        )
    site = await anyio.to_thread.run_sync(site_for_key, services.store, key)
    if site is None:
        raise PerspectiveError(
            400,
            "API key not valid. Please pass a valid API key.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": _SERVICE},
                }
            ],
        )
    return site


async def _body(request: Request[Any, Any, State], services: Services) -> bytes:
    try:
        return await request.body()
    except HTTPException as exc:
        if exc.status_code == 413:
            limit = services.settings.max_body_bytes
            raise PerspectiveError(413, f"Request payload over {limit} bytes") from None
        raise


async def _charge(services: Services, site: SitePublic) -> None:
    try:
        await anyio.to_thread.run_sync(charge_rate_limits, services, site, None)
    except RateLimitedError as limited:
        raise PerspectiveError(
            429,
            f"Quota exceeded for the site; retry after {limited.seconds} s",
            headers={"Retry-After": str(limited.seconds)},
        ) from None


async def _analyze(request: Request[Any, Any, State], services: Services) -> Response[AnalyzeOut]:
    site = await _site(request, services)
    data: AnalyzeIn = _decode(await _body(request, services), AnalyzeIn)
    if data.comment.type != "PLAIN_TEXT":
        raise _bad_request("Only PLAIN_TEXT comments are supported", [("comment.type", "")])
    ours = check_request(
        data.comment.text,
        list(data.requested_attributes),
        data.languages,
        services.settings.max_content_chars,
    )
    await _charge(services, site)
    store, wait = services.store, services.settings.max_wait_seconds
    analysis_id = secrets.token_hex(12)
    job = AnalysisRequest(
        text=data.comment.text,
        attributes=ours,
        spans=data.span_annotations,
        ttl_seconds=math.ceil(wait) + 60,
    )
    await anyio.to_thread.run_sync(
        store.put_analysis, site.id, analysis_id, msgspec.json.encode(job), job.ttl_seconds
    )
    try:
        await anyio.to_thread.run_sync(services.tasks.analyze, site.id, analysis_id)

        async def done() -> bool:
            found = await anyio.to_thread.run_sync(store.analysis_result, site.id, analysis_id)
            return found is not None

        await services.waiter.wait(store.analysis_member(site.id, analysis_id), wait, done)
        raw = await anyio.to_thread.run_sync(store.analysis_result, site.id, analysis_id)
    finally:
        if data.do_not_store:
            await anyio.to_thread.run_sync(store.drop_analysis, site.id, analysis_id)
    if raw is None:
        raise PerspectiveError(503, f"The analysis took longer than {wait:g} s; retry")
    result = msgspec.json.decode(raw, type=AnalysisResult)
    if result.error:
        raise PerspectiveError(503, "The models are unavailable; retry")
    log.info("text analyzed", extra={"site": site.id, "model_version": result.model_version})
    return Response(answer(data, result), status_code=200)


@post("/v1alpha1/comments:analyze", status_code=200)
async def analyze(request: Request[Any, Any, State], services: Services) -> Response[Any]:
    """Perspective's analyze: per-attribute summary and span scores for a text."""
    try:
        return await _analyze(request, services)
    except PerspectiveError as exc:
        return exc.response()


def _suggest(services: Services, site: SitePublic, data: SuggestIn) -> None:
    text = data.comment.text
    labels = {
        ATTRIBUTES[k]: int(v.summary_score.value >= 0.5) for k, v in data.attribute_scores.items()
    }
    # one record id per text, so a later suggestion for the same text replaces the earlier one
    record_id = "p_" + hashlib.sha256(text.encode()).hexdigest()[:32]
    comment = CommentIn(id=record_id, content=text)
    by = f"perspective:{site.id}"
    entry = feedback_entry(site.id, record_id, comment, "suggest", labels, by, time.time())
    services.store.add_feedback(entry)


@post("/v1alpha1/comments:suggestscore", status_code=200)
async def suggest_score(request: Request[Any, Any, State], services: Services) -> Response[Any]:
    """Perspective's suggestscore: the suggested scores become labels for retraining."""
    try:
        site = await _site(request, services)
        data: SuggestIn = _decode(await _body(request, services), SuggestIn)
        check_request(
            data.comment.text,
            list(data.attribute_scores),
            data.languages,
            services.settings.max_content_chars,
        )
        await _charge(services, site)
    except PerspectiveError as exc:
        return exc.response()
    await anyio.to_thread.run_sync(_suggest, services, site, data)
    return Response(SuggestOut(client_token=data.client_token), status_code=200)


ROUTES = [analyze, suggest_score]

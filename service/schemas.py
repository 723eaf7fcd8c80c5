"""Wire types (msgspec Structs) shared by the api, the store and the workers.

Field limits live here, in the types, so every entry point validates the same way.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = [
    "ATTRIBUTES",
    "Account",
    "AnalysisRequest",
    "AnalysisResult",
    "AttributeScore",
    "Author",
    "CommentIn",
    "CommentRecord",
    "DeliveryAttempt",
    "ErrorBody",
    "ErrorDetail",
    "Finding",
    "ModeratorCreate",
    "ModeratorOut",
    "ModeratorUpdate",
    "PolicyConfig",
    "Post",
    "RateLimitConfig",
    "Signals",
    "SiteConfig",
    "SiteCreate",
    "SiteOut",
    "SitePublic",
    "SiteUpdate",
    "SpanScore",
    "Verdict",
    "VerdictEvent",
    "WordLists",
]

ATTRIBUTES: tuple[str, ...] = (
    "spam",
    "toxicity",
    "severe_toxicity",
    "identity_attack",
    "insult",
    "profanity",
    "threat",
)

Decision = Literal["approve", "hold", "spam", "reject"]
Status = Literal["pending", "approved", "held", "spam", "rejected"]
Mode = Literal["auto", "premoderate", "shadow"]
ContentFormat = Literal["text", "html", "markdown"]

ShortStr = Annotated[str, msgspec.Meta(max_length=200)]
Name = Annotated[str, msgspec.Meta(max_length=200)]
Url = Annotated[str, msgspec.Meta(max_length=2048)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Email = Annotated[str, msgspec.Meta(max_length=320)]
Ip = Annotated[str, msgspec.Meta(max_length=45)]
UserAgent = Annotated[str, msgspec.Meta(max_length=1024)]
Title = Annotated[str, msgspec.Meta(max_length=500)]
Excerpt = Annotated[str, msgspec.Meta(max_length=5000)]
Lang = Annotated[str, msgspec.Meta(max_length=35)]
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
WordList = Annotated[list[Word], msgspec.Meta(max_length=5000)]

DECISION_TO_STATUS: dict[str, str] = {
    "approve": "approved",
    "hold": "held",
    "spam": "spam",
    "reject": "rejected",
}


class Author(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Who wrote the comment, as the blog knows them."""

    name: Name = ""
    email: Email = ""
    url: Url = ""
    ip: Ip = ""
    user_agent: UserAgent = ""
    id: ShortStr = ""


class Post(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The post the comment is on."""

    id: ShortStr = ""
    url: Url = ""
    title: Title = ""
    excerpt: Excerpt = ""
    lang: Lang = ""


class Signals(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Form signals the blog collected: a filled honeypot field, time from page load to submit."""

    honeypot: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    time_to_submit_ms: Annotated[int, msgspec.Meta(ge=0)] | None = None
    referrer: Url = ""


class CommentIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``POST /v1/comments``. ``content`` is limited by settings, not here."""

    id: ExternalId
    content: str
    content_format: ContentFormat = "text"
    author: Author = msgspec.field(default_factory=Author)
    post: Post = msgspec.field(default_factory=Post)
    parent_id: ShortStr = ""
    created_at: Annotated[str, msgspec.Meta(max_length=40)] = ""
    signals: Signals = msgspec.field(default_factory=Signals)


class Finding(msgspec.Struct, omit_defaults=True):
    """One thing a check noticed. ``score`` is its raw strength; weights come from policy."""

    code: str
    check: str
    score: float
    detail: str = ""
    attribute: str = "spam"
    spans: list[tuple[int, int]] = msgspec.field(default_factory=list)
    weighted: float = 0.0


class Verdict(msgspec.Struct, omit_defaults=True):
    """What was decided about a comment, and why."""

    decision: Decision
    status: Status
    scores: dict[str, float]
    reasons: list[Finding]
    decided_by: str
    decided_at: float
    version: int
    mode: Mode = "auto"
    model_version: str = ""
    spam_total: float = 0.0
    note: str = ""


class CommentRecord(msgspec.Struct, omit_defaults=True):
    """A comment as stored: what the blog sent, when, and its verdict once there is one."""

    id: str
    site_id: str
    comment: CommentIn
    received_at: float
    status: Status = "pending"
    verdict: Verdict | None = None
    request_id: str = ""


class VerdictEvent(msgspec.Struct):
    """The callback body and feed entry: one verdict change of one comment."""

    event: str
    site_id: str
    record_id: str
    comment_id: str
    post_id: str
    verdict: Verdict
    cursor: str = ""


class DeliveryAttempt(msgspec.Struct, omit_defaults=True):
    """One POST of a verdict to a blog, as recorded for operators."""

    attempt: int
    at: float
    duration_ms: float
    status_code: int = 0
    error: str = ""
    outcome: Literal["delivered", "retry", "failed", "dead"] = "retry"


class RateLimitConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Per-site override of the token-bucket rates (comments per minute); None: the default."""

    site_per_minute: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    ip_per_minute: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    email_per_minute: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None


class WordLists(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Site word lists, matched as whole words (``*`` at an end allows a prefix/suffix)."""

    block: WordList = msgspec.field(default_factory=list)
    hold: WordList = msgspec.field(default_factory=list)
    allow: WordList = msgspec.field(default_factory=list)


Threshold = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]


class PolicyConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Weights of findings and the thresholds that turn their total into a decision."""

    spam_hold: Threshold = 0.5
    spam_spam: Threshold = 0.85
    toxicity_hold: Threshold | None = None
    """None: each attribute's threshold chosen with the model on validation data."""
    toxicity_reject: Threshold = 0.95
    weights: dict[str, Annotated[float, msgspec.Meta(ge=-100.0, le=100.0)]] = msgspec.field(
        default_factory=dict
    )


class SiteConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Everything a site can tune."""

    mode: Mode = "auto"
    policy: PolicyConfig = msgspec.field(default_factory=PolicyConfig)
    rate_limits: RateLimitConfig = msgspec.field(default_factory=RateLimitConfig)
    words: WordLists = msgspec.field(default_factory=WordLists)


class SiteCreate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``POST /v1/admin/sites``."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    url: Url
    callback_url: Url = ""
    config: SiteConfig = msgspec.field(default_factory=SiteConfig)


class SiteUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``PATCH /v1/admin/sites/{id}``: only the fields given change."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    url: Url | None = None
    callback_url: Url | None = None
    config: SiteConfig | None = None


class SitePublic(msgspec.Struct, omit_defaults=True):
    """A site as stored (never holds the API key, only its hash)."""

    id: str
    name: str
    url: str
    callback_url: str
    webhook_secret: str
    api_key_hash: str
    created_at: float
    config: SiteConfig = msgspec.field(default_factory=SiteConfig)


class SiteOut(msgspec.Struct, omit_defaults=True):
    """A site as shown to admins; ``api_key`` and ``webhook_secret`` only when just made."""

    id: str
    name: str
    url: str
    callback_url: str
    created_at: float
    config: SiteConfig
    api_key: str = ""
    webhook_secret: str = ""


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    """One thing wrong with a request."""

    field: str
    message: str


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every error answer: a stable code, a human message, and the fields at fault."""

    error: str
    message: str
    details: list[ErrorDetail] = msgspec.field(default_factory=list)


class Account(msgspec.Struct, omit_defaults=True):
    """A person who logs in: a moderator of some sites, or an admin of all of them."""

    id: str
    email: str
    password_hash: str
    created_at: float
    admin: bool = False
    sites: list[str] = msgspec.field(default_factory=list)
    disabled: bool = False


SiteIds = Annotated[
    list[Annotated[str, msgspec.Meta(min_length=1, max_length=40)]], msgspec.Meta(max_length=1000)
]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]


class ModeratorCreate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``POST /v1/admin/moderators``; no password: one is generated and shown once."""

    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
    sites: SiteIds = msgspec.field(default_factory=list)
    admin: bool = False
    password: Password | None = None


class ModeratorUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``PATCH /v1/admin/moderators/{id}``: only the fields given change."""

    sites: SiteIds | None = None
    admin: bool | None = None
    disabled: bool | None = None
    password: Password | None = None


class ModeratorOut(msgspec.Struct, omit_defaults=True):
    """An account as admins see it (never the password hash)."""

    id: str
    email: str
    admin: bool
    sites: list[str]
    disabled: bool
    created_at: float
    password: str = ""
    token: str = ""


class AnalysisRequest(msgspec.Struct, omit_defaults=True):
    """A text to score without making a comment of it (Perspective's analyze), for a worker."""

    text: str
    attributes: list[str]
    spans: bool = False
    ttl_seconds: int = 60


class SpanScore(msgspec.Struct, array_like=True):
    """A stretch of the text (character offsets) and the probability it gets on its own."""

    begin: int
    end: int
    score: float


class AttributeScore(msgspec.Struct, omit_defaults=True):
    value: float
    spans: list[SpanScore] = msgspec.field(default_factory=list)


class AnalysisResult(msgspec.Struct, omit_defaults=True):
    """What a worker made of an :class:`AnalysisRequest`; ``error`` when it could not score."""

    scores: dict[str, AttributeScore] = msgspec.field(default_factory=dict)
    model_version: str = ""
    error: str = ""

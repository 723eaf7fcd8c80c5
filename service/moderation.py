"""What moderators do: list the queues, look at an item, decide it, undo, decide in bulk.

A decision is a compare-and-set of the verdict (the version goes up and ``decided_by`` names the
moderator), then one MULTI with what follows from it (audit entry, feedback label, reputation
moved from the old status to the new one, word counts, the undo ticket), then a new signed
callback to the blog.
"""

from __future__ import annotations

import base64
import html
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from service.accounts import Principal, allowed_sites, can_access
from service.authors import author_key
from service.callbacks import queue_callback
from service.schemas import (
    CommentIn,
    CommentRecord,
    ErrorDetail,
    Finding,
    SitePublic,
    Verdict,
)
from service.store import Store
from service.tasks_client import TaskClient
from service.text import plain_text, suggestion_words
from service.validation import BodyError

__all__ = [
    "ACTIONS",
    "Action",
    "BulkIn",
    "BulkOut",
    "DecideIn",
    "DecisionOut",
    "ItemDetail",
    "ModerationError",
    "QueueFilter",
    "QueueItem",
    "QueuePage",
    "SiteCounts",
    "bulk_decide",
    "counts",
    "decide",
    "feedback_entry",
    "feedback_labels",
    "item_detail",
    "list_queue",
    "matching",
    "segments",
    "undo",
    "word_suggestions",
]

Action = Literal["approve", "reject", "spam", "not_spam"]
Status = Literal["held", "approved", "rejected", "spam"]
Sort = Literal["newest", "oldest", "score"]

# action -> (decision, status, label for the feedback stream)
ACTIONS: dict[str, tuple[str, str, dict[str, int]]] = {
    "approve": ("approve", "approved", {"spam": 0, "toxicity": 0}),
    "not_spam": ("approve", "approved", {"spam": 0}),
    "reject": ("reject", "rejected", {"spam": 0, "toxicity": 1}),
    "spam": ("spam", "spam", {"spam": 1}),
}
_WORD_KIND = {"approved": "approved", "spam": "flagged", "rejected": "flagged"}
_SCAN_LIMIT = 20_000
_SCORE_SORT_LIMIT = 2_000
_BULK_LIMIT = 1_000


class ModerationError(Exception):
    """A request that cannot be done; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Note = Annotated[str, msgspec.Meta(max_length=2000)]


class DecideIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Body of a decision. ``expected_version``: refuse if someone decided in between."""

    action: Action
    note: Note = ""
    expected_version: int | None = None


class ItemRef(msgspec.Struct, forbid_unknown_fields=True):
    site_id: Annotated[str, msgspec.Meta(max_length=40)]
    record_id: Annotated[str, msgspec.Meta(max_length=40)]


class QueueFilter(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Which items: the same filter the queue listing and bulk decisions use."""

    site: Annotated[str, msgspec.Meta(max_length=40)] = ""
    status: Status = "held"
    attribute: Annotated[str, msgspec.Meta(max_length=40)] = ""
    min_score: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.0
    source: Literal["", "auto", "moderator"] = ""
    author: Annotated[str, msgspec.Meta(max_length=320)] = ""
    q: Annotated[str, msgspec.Meta(max_length=200)] = ""
    sort: Sort = "newest"


class BulkIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A decision for a selection (``items``) or for everything a ``filter`` matches.

    With a filter, send ``expected_count`` (the count a ``dry_run`` showed): if the matches
    changed meanwhile, nothing is decided and the new count comes back.
    """

    action: Action
    note: Note = ""
    items: Annotated[list[ItemRef], msgspec.Meta(max_length=_BULK_LIMIT)] | None = None
    filter: QueueFilter | None = None
    expected_count: int | None = None
    dry_run: bool = False


class Segment(msgspec.Struct, omit_defaults=True):
    """A piece of comment text; ``codes`` are the findings whose spans cover it."""

    text: str
    codes: list[str] = msgspec.field(default_factory=list)


class QueueItem(msgspec.Struct, omit_defaults=True):
    site_id: str
    record_id: str
    comment_id: str
    status: str
    received_at: float
    content: str
    author_name: str
    post_title: str
    post_url: str
    scores: dict[str, float]
    top_score: float
    reasons: list[Finding]
    segments: list[Segment]
    decided_by: str
    decided_at: float
    version: int
    note: str = ""
    undo_until: float = 0.0


class SiteCounts(msgspec.Struct):
    site_id: str
    name: str
    held: int
    approved: int
    spam: int
    rejected: int


class QueuePage(msgspec.Struct):
    items: list[QueueItem]
    cursor: str
    has_more: bool
    counts: list[SiteCounts]


class HistoryEntry(msgspec.Struct, omit_defaults=True):
    record_id: str
    received_at: float
    status: str
    content: str
    decided_by: str = ""
    post_title: str = ""


class DeliveryOut(msgspec.Struct, omit_defaults=True):
    id: str
    event: str
    version: int
    status: str
    attempts: int
    created_at: float
    last_error: str = ""
    last_status_code: int = 0


class ItemDetail(msgspec.Struct, omit_defaults=True):
    item: QueueItem
    content_escaped: str
    content_format: str
    author: dict[str, str]
    post_excerpt: str
    reputation: dict[str, int]
    history: list[HistoryEntry]
    deliveries: list[DeliveryOut]


class DecisionOut(msgspec.Struct, omit_defaults=True):
    site_id: str
    record_id: str
    status: str
    version: int
    decided_by: str
    audit_id: str
    undo_until: float = 0.0
    delivery_id: str = ""


class BulkResult(msgspec.Struct, omit_defaults=True):
    site_id: str
    record_id: str
    ok: bool
    status: str = ""
    version: int = 0
    error: str = ""


class BulkOut(msgspec.Struct, omit_defaults=True):
    count: int
    decided: int
    dry_run: bool
    results: list[BulkResult] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class Moderation:
    """The pieces a decision touches."""

    store: Store
    tasks: TaskClient
    undo_seconds: int


# -- reading ----------------------------------------------------------------------------------

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x61C)}


def visible_controls(text: str) -> str:
    """Bidi controls (RTL overrides) become visible marks, so text cannot be shown reordered."""
    if not any(c in _BIDI for c in text):
        return text
    return "".join(f"[U+{ord(c):04X}]" if c in _BIDI else c for c in text)


def segments(text: str, findings: list[Finding]) -> list[Segment]:
    """Split ``text`` at the findings' spans so a page can highlight them as plain text."""
    marks: list[tuple[int, int, str]] = []
    for finding in findings:
        for start, end in finding.spans:
            if 0 <= start < end <= len(text):
                marks.append((start, end, finding.code))
    cuts = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    out: list[Segment] = []
    for left, right in itertools.pairwise(cuts):
        codes = sorted({code for start, end, code in marks if start <= left and right <= end})
        piece = visible_controls(text[left:right])
        if out and out[-1].codes == codes:
            out[-1] = Segment(out[-1].text + piece, codes)
        else:
            out.append(Segment(piece, codes))
    return out


def _source(verdict: Verdict | None) -> str:
    if verdict is None:
        return ""
    return "auto" if verdict.decided_by == "auto" else "moderator"


def _top_score(verdict: Verdict | None, attribute: str = "") -> float:
    if verdict is None or not verdict.scores:
        return 0.0
    if attribute:
        return float(verdict.scores.get(attribute, 0.0))
    return float(max(verdict.scores.values()))


def _item(record: CommentRecord, undo_until: float = 0.0) -> QueueItem:
    verdict = record.verdict
    comment = record.comment
    text = plain_text(comment.content, comment.content_format)
    spans_text = comment.content if comment.content_format != "html" else text
    reasons = verdict.reasons if verdict else []
    return QueueItem(
        site_id=record.site_id,
        record_id=record.id,
        comment_id=comment.id,
        status=record.status,
        received_at=record.received_at,
        content=text,
        author_name=visible_controls(comment.author.name),
        post_title=visible_controls(comment.post.title),
        post_url=_safe_url(comment.post.url),
        scores=verdict.scores if verdict else {},
        top_score=_top_score(verdict),
        reasons=reasons,
        segments=segments(spans_text, reasons),
        decided_by=verdict.decided_by if verdict else "",
        decided_at=verdict.decided_at if verdict else 0.0,
        version=verdict.version if verdict else 0,
        note=verdict.note if verdict else "",
        undo_until=undo_until,
    )


def _safe_url(url: str) -> str:
    """Only http(s) links are given to pages; ``javascript:`` and friends become ''."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def _matches(record: CommentRecord, flt: QueueFilter) -> bool:
    verdict = record.verdict
    if verdict is None or record.status != flt.status:
        return False
    if flt.attribute and _top_score(verdict, flt.attribute) < flt.min_score:
        return False
    if not flt.attribute and flt.min_score and _top_score(verdict) < flt.min_score:
        return False
    if flt.source and _source(verdict) != flt.source:
        return False
    author = record.comment.author
    if flt.author:
        wanted = flt.author.strip().casefold()
        if wanted not in {
            author.email.strip().casefold(),
            author.name.strip().casefold(),
            author_key(author),
        }:
            return False
    if flt.q:
        haystack = f"{record.comment.content}\n{author.name}".casefold()
        if flt.q.casefold() not in haystack:
            return False
    return True


def _sites_for(store: Store, principal: Principal, site: str) -> list[str]:
    if site:
        if not can_access(principal.account, site):
            raise ModerationError(403, f"You do not moderate site {site!r}")
        return [site]
    return allowed_sites(store, principal.account)


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _bad_cursor() -> BodyError:
    detail = ErrorDetail(field="cursor", message="Not a cursor this listing gave out")
    return BodyError("Bad cursor", [detail], status_code=400)


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None


def _offset_cursor(cursor: str) -> int:
    raw = _decode_cursor(cursor) if cursor else "0"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise _bad_cursor()
    return int(raw)


def _candidates(store: Store, sites: list[str], flt: QueueFilter) -> list[tuple[float, str, str]]:
    rows = [
        (score, site_id, record_id)
        for site_id in sites
        for record_id, score in store.status_members(site_id, flt.status, _SCAN_LIMIT)
    ]
    rows.sort(reverse=flt.sort != "oldest")
    return rows


def _records(
    store: Store, rows: list[tuple[float, str, str]], flt: QueueFilter
) -> Iterator[tuple[tuple[float, str, str], CommentRecord]]:
    """Records of ``rows`` that pass the filter, in order, read in chunks."""
    chunk = 100
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        found = store.get_records([(site_id, record_id) for _, site_id, record_id in part])
        for row, record in zip(part, found, strict=True):
            if record is None:
                store.forget_indexed(row[1], row[2])
                continue
            if _matches(record, flt):
                yield row, record


def matching(store: Store, sites: list[str], flt: QueueFilter, limit: int) -> list[CommentRecord]:
    """Up to ``limit`` records the filter matches, in its order."""
    out = []
    for _, record in _records(store, _candidates(store, sites, flt), flt):
        out.append(record)
        if len(out) >= limit:
            break
    return out


def counts(store: Store, principal: Principal, site: str = "") -> list[SiteCounts]:
    out = []
    for site_id in _sites_for(store, principal, site):
        found = store.get_site(site_id)
        numbers = store.status_counts(site_id)
        out.append(SiteCounts(site_id=site_id, name=found.name if found else site_id, **numbers))
    return out


def list_queue(
    store: Store, principal: Principal, flt: QueueFilter, cursor: str = "", limit: int = 50
) -> QueuePage:
    """A page of the queue. Time order pages by (time, site, id); score order by offset."""
    sites = _sites_for(store, principal, flt.site)
    rows = _candidates(store, sites, flt)
    items: list[QueueItem] = []
    has_more = False
    next_cursor = ""
    if flt.sort == "score":
        offset = _offset_cursor(cursor)
        ranked = [r for _, r in _records(store, rows[:_SCORE_SORT_LIMIT], flt)]
        ranked.sort(key=lambda r: (-_top_score(r.verdict, flt.attribute), r.received_at))
        page = ranked[offset : offset + limit]
        items = [_item(r) for r in page]
        has_more = offset + limit < len(ranked)
        next_cursor = _encode_cursor(str(offset + limit)) if has_more else ""
    else:
        if cursor:
            score_raw, _, rest = _decode_cursor(cursor).partition("|")
            site_id, _, record_id = rest.partition("|")
            try:
                after = (float(score_raw), site_id, record_id)
            except ValueError:
                raise _bad_cursor() from None
            newest = flt.sort == "newest"
            rows = [r for r in rows if (r < after if newest else r > after)]
        for row, record in _records(store, rows, flt):
            if len(items) >= limit:
                has_more = True
                break
            items.append(_item(record))
            next_cursor = _encode_cursor(f"{row[0]!r}|{row[1]}|{row[2]}")
        if not has_more:
            next_cursor = ""
    return QueuePage(
        items=items,
        cursor=next_cursor,
        has_more=has_more,
        counts=counts(store, principal, flt.site),
    )


def _load(
    store: Store, principal: Principal, site_id: str, record_id: str
) -> tuple[SitePublic, CommentRecord]:
    if not can_access(principal.account, site_id):
        raise ModerationError(403, f"You do not moderate site {site_id!r}")
    site = store.get_site(site_id)
    record = store.get_record(site_id, record_id) if site else None
    if site is None or record is None:
        raise ModerationError(404, f"No comment {record_id!r} on site {site_id!r}")
    return site, record


def item_detail(store: Store, principal: Principal, site_id: str, record_id: str) -> ItemDetail:
    _, record = _load(store, principal, site_id, record_id)
    comment = record.comment
    author = author_key(comment.author)
    history_ids = [i for i in store.author_history(site_id, author, 21) if i != record_id][:20]
    earlier = store.get_records([(site_id, i) for i in history_ids])
    history = [
        HistoryEntry(
            record_id=r.id,
            received_at=r.received_at,
            status=r.status,
            content=visible_controls(plain_text(r.comment.content, r.comment.content_format))[:500],
            decided_by=r.verdict.decided_by if r.verdict else "",
            post_title=visible_controls(r.comment.post.title),
        )
        for r in earlier
        if r is not None
    ]
    deliveries = []
    for d in store.record_deliveries(site_id, record_id):
        attempts = store.delivery_attempts(site_id, d.id)
        deliveries.append(
            DeliveryOut(
                id=d.id,
                event=d.event,
                version=d.version,
                status=d.status,
                attempts=d.attempts,
                created_at=d.created_at,
                last_error=d.last_error,
                last_status_code=attempts[-1].status_code if attempts else 0,
            )
        )
    ticket = store.undo_ticket(site_id, record_id)
    return ItemDetail(
        item=_item(record, float(ticket["until"]) if ticket else 0.0),
        content_escaped=html.escape(visible_controls(comment.content)),
        content_format=comment.content_format,
        author={
            "name": visible_controls(comment.author.name),
            "email": comment.author.email,
            "url": _safe_url(comment.author.url),
            "ip": comment.author.ip,
        },
        post_excerpt=visible_controls(comment.post.excerpt),
        reputation=store.reputation(site_id, author) if author else {},
        history=history,
        deliveries=deliveries,
    )


# -- deciding ---------------------------------------------------------------------------------


def feedback_entry(
    site_id: str,
    record_id: str,
    comment: CommentIn,
    action: str,
    labels: dict[str, int],
    by: str,
    at: float,
    previous: Verdict | None = None,
) -> dict[str, Any]:
    """One entry of the feedback stream (what retraining learns from); an undo retracts."""
    return {
        "kind": "retract" if action == "undo" else "label",
        "site_id": site_id,
        "record_id": record_id,
        "text": plain_text(comment.content, comment.content_format),
        "author_name": comment.author.name,
        "author_url": comment.author.url,
        "author_email": comment.author.email,
        "scores": previous.scores if previous else {},
        "model_version": previous.model_version if previous else "",
        "action": action,
        "labels": labels,
        "by": by,
        "at": at,
    }


def _apply(
    mod: Moderation,
    principal: Principal,
    site: SitePublic,
    record: CommentRecord,
    new_verdict: Verdict,
    expected_version: int,
    action: str,
    label: dict[str, int],
    ticket: dict[str, Any] | None,
) -> DecisionOut:
    """Store ``new_verdict`` by compare-and-set, then its consequences, then the callback."""
    previous = record.verdict
    assert previous is not None
    event = mod.store.set_verdict(record, new_verdict, expected_version=expected_version)
    if event is None:
        raise ModerationError(409, "Someone decided this comment meanwhile; reload it")
    comment = record.comment
    text = plain_text(comment.content, comment.content_format)
    now = new_verdict.decided_at
    audit = {
        "site_id": site.id,
        "record_id": record.id,
        "comment_id": comment.id,
        "action": action,
        "by": principal.label,
        "account_id": principal.account.id,
        "at": now,
        "note": new_verdict.note,
        "previous": {
            "status": previous.status,
            "decided_by": previous.decided_by,
            "version": previous.version,
        },
        "status": new_verdict.status,
        "version": new_verdict.version,
    }
    feedback = feedback_entry(
        site.id, record.id, comment, action, label, principal.label, now, previous
    )
    words = suggestion_words(text)
    word_moves = (_WORD_KIND.get(previous.status, ""), _WORD_KIND.get(new_verdict.status, ""))
    if previous.decided_by == "auto":
        word_moves = ("", word_moves[1])  # automatic verdicts never counted words
    if new_verdict.decided_by == "auto":
        word_moves = (word_moves[0], "")
    audit_id = mod.store.record_decision(
        site.id,
        author_key(comment.author),
        (previous.status, new_verdict.status),
        audit,
        feedback,
        words,
        word_moves,
        (ticket, mod.undo_seconds) if ticket else None,
    )
    delivery_id = queue_callback(mod.store, mod.tasks, record, site, event)
    return DecisionOut(
        site_id=site.id,
        record_id=record.id,
        status=new_verdict.status,
        version=new_verdict.version,
        decided_by=new_verdict.decided_by,
        audit_id=audit_id,
        undo_until=float(ticket["until"]) if ticket else 0.0,
        delivery_id=delivery_id or "",
    )


def decide(
    mod: Moderation,
    principal: Principal,
    site_id: str,
    record_id: str,
    data: DecideIn,
) -> DecisionOut:
    site, record = _load(mod.store, principal, site_id, record_id)
    previous = record.verdict
    if previous is None:
        raise ModerationError(409, "The comment has not been scored yet")
    current = mod.store.record_version(site_id, record_id)
    if data.expected_version is not None and data.expected_version != current:
        raise ModerationError(409, f"The comment is at version {current} now; reload it")
    decision, status, label = ACTIONS[data.action]
    now = time.time()
    new_verdict = msgspec.structs.replace(
        previous,
        decision=decision,
        status=status,
        decided_by=principal.label,
        decided_at=now,
        version=current + 1,
        note=data.note,
    )
    ticket = {
        "account_id": principal.account.id,
        "action": data.action,
        "version": current + 1,
        "until": now + mod.undo_seconds,
        "previous": msgspec.to_builtins(previous),
    }
    return _apply(mod, principal, site, record, new_verdict, current, data.action, label, ticket)


def undo(mod: Moderation, principal: Principal, site_id: str, record_id: str) -> DecisionOut:
    """Put back the verdict a decision replaced, within ``undo_seconds``, once."""
    site, record = _load(mod.store, principal, site_id, record_id)
    ticket = mod.store.undo_ticket(site_id, record_id)
    if ticket is None:
        raise ModerationError(409, "Nothing to undo: too late, or undone already")
    if ticket["account_id"] != principal.account.id and not principal.account.admin:
        raise ModerationError(403, "Only the moderator who decided (or an admin) can undo")
    current = mod.store.record_version(site_id, record_id)
    if current != int(ticket["version"]):
        raise ModerationError(409, "The comment changed since that decision; decide it again")
    if mod.store.take_undo_ticket(site_id, record_id) is None:
        raise ModerationError(409, "Nothing to undo: undone already")
    restored = msgspec.convert(ticket["previous"], type=Verdict)
    new_verdict = msgspec.structs.replace(restored, version=current + 1, decided_at=time.time())
    return _apply(mod, principal, site, record, new_verdict, current, "undo", {}, None)


def bulk_decide(mod: Moderation, principal: Principal, data: BulkIn) -> BulkOut:
    if (data.items is None) == (data.filter is None):
        raise ModerationError(422, "Send either `items` or `filter`")
    if data.filter is not None:
        sites = _sites_for(mod.store, principal, data.filter.site)
        found = matching(mod.store, sites, data.filter, _BULK_LIMIT + 1)
        if len(found) > _BULK_LIMIT:
            raise ModerationError(422, f"More than {_BULK_LIMIT} match; narrow the filter")
        refs = [(r.site_id, r.id, r.verdict.version if r.verdict else 0) for r in found]
        if data.dry_run:
            return BulkOut(count=len(refs), decided=0, dry_run=True)
        if data.expected_count != len(refs):
            raise ModerationError(
                409, f"{len(refs)} comments match now; confirm with expected_count={len(refs)}"
            )
    else:
        assert data.items is not None
        refs = [(i.site_id, i.record_id, -1) for i in data.items]
        if data.dry_run:
            return BulkOut(count=len(refs), decided=0, dry_run=True)
    results: list[BulkResult] = []
    for site_id, record_id, version in refs:
        try:
            done = decide(
                mod,
                principal,
                site_id,
                record_id,
                DecideIn(
                    action=data.action,
                    note=data.note,
                    expected_version=version if version >= 0 else None,
                ),
            )
            results.append(
                BulkResult(site_id, record_id, True, status=done.status, version=done.version)
            )
        except ModerationError as exc:
            results.append(BulkResult(site_id, record_id, False, error=exc.message))
    return BulkOut(
        count=len(refs), decided=sum(r.ok for r in results), dry_run=False, results=results
    )


# -- what decisions teach ---------------------------------------------------------------------


def word_suggestions(
    store: Store, principal: Principal, site_id: str, min_flagged: int = 3
) -> list[dict[str, Any]]:
    """Words that keep turning up in comments moderators flag and never in ones they approve."""
    if not can_access(principal.account, site_id):
        raise ModerationError(403, f"You do not moderate site {site_id!r}")
    site = store.get_site(site_id)
    if site is None:
        raise ModerationError(404, f"No site {site_id!r}")
    flagged = store.word_counts(site_id, "flagged")
    words = list(flagged)
    approved = dict(zip(words, store.word_count_of(site_id, "approved", words), strict=True))
    listed = {w.casefold() for w in (*site.config.words.block, *site.config.words.hold)}
    return [
        {"word": w, "flagged": n, "approved": approved.get(w, 0)}
        for w, n in flagged.items()
        if n >= min_flagged and approved.get(w, 0) == 0 and w not in listed
    ][:30]


def feedback_labels(store: Store) -> Iterator[dict[str, Any]]:
    """The labels in force: an undo retracts the label of the decision it undid (so the one
    before it counts again), and a comment decided twice keeps its last label."""
    stacks: dict[tuple[str, str], list[dict[str, Any]]] = {}
    cursor = ""
    while True:
        rows = store.feedback_entries(cursor, 1000)
        if not rows:
            break
        for entry_id, entry in rows:
            cursor = entry_id
            stack = stacks.setdefault((str(entry["site_id"]), str(entry["record_id"])), [])
            if entry.get("kind") == "retract":
                if stack:
                    stack.pop()
            else:
                stack.append({"id": entry_id, **entry})
    for stack in stacks.values():
        if stack:
            yield stack[-1]

"""The Redis store: the only module that knows key names.

Keys are namespaced by the configured prefix; keys that hold one site's data carry the site id in
a hash tag (``cg:{site}:...``) so a Redis Cluster keeps a site's keys together. Every
read-modify-write is one Lua script or one MULTI, because many api processes and workers share it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import redis

from service.authors import author_key
from service.schemas import (
    Account,
    CommentIn,
    CommentRecord,
    DeliveryAttempt,
    SiteConfig,
    SitePublic,
    Verdict,
    VerdictEvent,
)

__all__ = [
    "LATENCY_BUCKETS",
    "ClaimedItem",
    "Delivery",
    "Histogram",
    "IntakeResult",
    "Keys",
    "MinuteStats",
    "QueueGauges",
    "RateLimitResult",
    "Store",
    "WorkerBeat",
    "hash_api_key",
    "new_record_id",
]

_LUA_DIR = Path(__file__).with_name("lua")
_FEED_MAXLEN = 100_000
_IDEMPOTENCY_MIN_TTL = 7 * 86400


def hash_api_key(api_key: str) -> str:
    """API keys carry 256 bits of randomness, so a plain SHA-256 is a safe, fast lookup hash."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_record_id() -> str:
    """Time-ordered, unguessable record id: sortable hex milliseconds then 48 random bits."""
    return f"c{int(time.time() * 1000):011x}{secrets.token_hex(6)}"


def _member(site_id: str, record_id: str) -> str:
    return f"{site_id}|{record_id}"


def split_member(member: str) -> tuple[str, str]:
    site_id, _, record_id = member.partition("|")
    return site_id, record_id


class Keys:
    """Key names. Nothing outside this module builds a key."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def site(self, site_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:site"

    def sites(self) -> str:
        return f"{self.prefix}:sites"

    def api_key(self, key_hash: str) -> str:
        return f"{self.prefix}:apikey:{key_hash}"

    def record(self, site_id: str, record_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:rec:{record_id}"

    def external(self, site_id: str, comment_id: str) -> str:
        digest = hashlib.sha256(comment_id.encode()).hexdigest()[:32]
        return f"{self.prefix}:{{{site_id}}}:ext:{digest}"

    def score_queue(self) -> str:
        return f"{self.prefix}:q:score"

    def claims(self) -> str:
        return f"{self.prefix}:q:score:claims"

    def pending(self) -> str:
        return f"{self.prefix}:pending"

    def review(self, site_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:review"

    def feed(self, site_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:feed"

    def verdict_channel(self) -> str:
        return f"{self.prefix}:verdicts"

    def kick(self) -> str:
        return f"{self.prefix}:q:score:kick"

    def bucket(self, site_id: str, kind: str, value: str) -> str:
        digest = hashlib.sha256(value.encode()).hexdigest()[:24]
        return f"{self.prefix}:{{{site_id}}}:rl:{kind}:{digest}"

    def flood(self, site_id: str, author_key: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:flood:{author_key}"

    def content_seen(self, site_id: str, digest: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:seen:{digest}"

    def fingerprints(self, site_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:fingerprints"

    def reputation(self, site_id: str, author_key: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:rep:{author_key}"

    def delivery(self, site_id: str, delivery_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:dlv:{delivery_id}"

    def delivery_attempts(self, site_id: str, delivery_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:dlv:{delivery_id}:attempts"

    def record_deliveries(self, site_id: str, record_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:rec:{record_id}:dlv"

    def dead_letters(self) -> str:
        return f"{self.prefix}:dead"

    def admin_token(self) -> str:
        return f"{self.prefix}:admin-token-hash"

    # -- ops --

    def counters(self) -> str:
        return f"{self.prefix}:m:counters"

    def histograms(self) -> str:
        return f"{self.prefix}:m:hist"

    def minute(self, minute: int) -> str:
        return f"{self.prefix}:m:min:{minute}"

    def workers(self) -> str:
        return f"{self.prefix}:workers"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    def site_keys_pattern(self, site_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:*"

    @staticmethod
    def celery_queue(name: str) -> str:
        """Kombu's list for a Celery queue: named after the queue, outside our prefix."""
        return name

    # -- moderation --

    def account(self, account_id: str) -> str:
        return f"{self.prefix}:acct:{account_id}"

    def account_email(self, email: str) -> str:
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        return f"{self.prefix}:acct-email:{digest}"

    def accounts(self) -> str:
        return f"{self.prefix}:accts"

    def account_token(self, token_hash: str) -> str:
        return f"{self.prefix}:acct-token:{token_hash}"

    def account_tokens(self, account_id: str) -> str:
        return f"{self.prefix}:acct:{account_id}:tokens"

    def session(self, session_id: str) -> str:
        return f"{self.prefix}:sess:{session_id}"

    def account_sessions(self, account_id: str) -> str:
        return f"{self.prefix}:acct:{account_id}:sessions"

    def decided(self, site_id: str, status: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:decided:{status}"

    def author_records(self, site_id: str, author_key: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:author:{author_key or '-'}"

    def undo(self, site_id: str, record_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:undo:{record_id}"

    def word_counts(self, site_id: str, kind: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:words:{kind}"

    def audit(self) -> str:
        return f"{self.prefix}:audit"

    def feedback(self) -> str:
        return f"{self.prefix}:feedback"

    # -- compat --

    def analysis(self, site_id: str, analysis_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:analysis:{analysis_id}"

    def analysis_result(self, site_id: str, analysis_id: str) -> str:
        return f"{self.prefix}:{{{site_id}}}:analysis:{analysis_id}:result"


@dataclass(frozen=True)
class IntakeResult:
    record_id: str
    created: bool
    received_at: float
    kick: bool = False
    """The caller should send a scoring task: no drainer was asked for lately."""
    rate_limited: RateLimitResult | None = None
    """Set when a bucket was empty: nothing was stored and ``record_id`` is empty."""


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    retry_after_seconds: float
    limited_by: str = ""


@dataclass(frozen=True)
class ClaimedItem:
    site_id: str
    record_id: str
    member: str


@dataclass(frozen=True)
class Delivery:
    id: str
    site_id: str
    record_id: str
    version: int
    event: str
    body: bytes
    status: str
    created_at: float
    attempts: int
    last_error: str
    request_id: str = ""
    retry_base: int = 0
    """Attempts made before the last re-drive; the retry budget counts from here."""


def _load_script(client: redis.Redis, name: str, *libraries: str) -> Any:
    """Register a Lua script; ``libraries`` are Lua files whose text goes before it."""
    parts = [*libraries, name]
    return client.register_script("\n".join((_LUA_DIR / f"{p}.lua").read_text() for p in parts))


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Store:
    """All Commentguard state in Redis, behind named operations."""

    def __init__(self, client: redis.Redis, prefix: str = "cg", retention_days: int = 30) -> None:
        # Any: redis-py types replies as bytes | str because decoding is a runtime option
        self.r: Any = client
        self.keys = Keys(prefix)
        self.retention_seconds = max(1, int(retention_days * 86400))
        self._ratelimit = _load_script(client, "ratelimit", "buckets")
        self._admit = _load_script(client, "admit", "buckets")
        self._site_by_key = _load_script(client, "site_by_key")
        self._claim = _load_script(client, "claim")
        self._set_verdict = _load_script(client, "set_verdict")
        self._flood = _load_script(client, "flood")
        self._gauge_max = _load_script(client, "gauge_max")
        self._redrive = _load_script(client, "redrive")
        self._create_account = _load_script(client, "create_account")
        self._session_touch = _load_script(client, "session_touch")
        self._encoder = msgspec.json.Encoder()

    @classmethod
    def from_url(cls, url: str, prefix: str = "cg", retention_days: int = 30) -> Store:
        client = redis.Redis.from_url(url, health_check_interval=30, socket_keepalive=True)
        return cls(client, prefix=prefix, retention_days=retention_days)

    def ping(self) -> bool:
        try:
            return bool(self.r.ping())
        except redis.RedisError:
            return False

    # -- sites -----------------------------------------------------------------------------

    def create_site(
        self, name: str, url: str, callback_url: str, config: SiteConfig
    ) -> tuple[SitePublic, str]:
        """Create a site; returns it and its API key, which is shown once and stored hashed."""
        site_id = "s_" + secrets.token_hex(6)
        api_key = f"cgk_{site_id[2:]}_{secrets.token_urlsafe(32)}"
        site = SitePublic(
            id=site_id,
            name=name,
            url=url,
            callback_url=callback_url,
            webhook_secret="whsec_" + secrets.token_urlsafe(32),
            api_key_hash=hash_api_key(api_key),
            created_at=time.time(),
            config=config,
        )
        pipe = self.r.pipeline(transaction=True)
        pipe.set(self.keys.site(site_id), self._encoder.encode(site))
        pipe.set(self.keys.api_key(site.api_key_hash), site_id)
        pipe.sadd(self.keys.sites(), site_id)
        pipe.execute()
        return site, api_key

    def get_site(self, site_id: str) -> SitePublic | None:
        raw = self.r.get(self.keys.site(site_id))
        return None if raw is None else msgspec.json.decode(raw, type=SitePublic)

    def list_sites(self) -> list[SitePublic]:
        ids = sorted(_s(i) for i in self.r.smembers(self.keys.sites()))
        sites = [self.get_site(i) for i in ids]
        return [s for s in sites if s is not None]

    def modify_site(
        self, site_id: str, change: Callable[[SitePublic], SitePublic]
    ) -> SitePublic | None:
        """Apply ``change`` to a site as one atomic step (WATCH, retried if another writer got
        in between); a changed API key hash moves the key's lookup entry with it."""
        key = self.keys.site(site_id)
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    site = msgspec.json.decode(raw, type=SitePublic)
                    updated = change(site)
                    pipe.multi()
                    pipe.set(key, self._encoder.encode(updated))
                    if updated.api_key_hash != site.api_key_hash:
                        pipe.delete(self.keys.api_key(site.api_key_hash))
                        pipe.set(self.keys.api_key(updated.api_key_hash), site_id)
                    pipe.execute()
                    return updated
                except redis.WatchError:
                    continue

    def rotate_api_key(self, site_id: str) -> str | None:
        """Give a site a new API key; the old one stops working at once."""
        api_key = f"cgk_{site_id[2:]}_{secrets.token_urlsafe(32)}"
        new_hash = hash_api_key(api_key)
        updated = self.modify_site(
            site_id, lambda site: msgspec.structs.replace(site, api_key_hash=new_hash)
        )
        return None if updated is None else api_key

    def site_for_api_key(self, api_key: str) -> SitePublic | None:
        """The site an API key belongs to; the lookup is by hash, so no secret is compared."""
        before, _, after = self.keys.site("\0").partition("\0")
        raw = self._site_by_key(
            keys=[self.keys.api_key(hash_api_key(api_key))], args=[before, after]
        )
        return None if raw is None else msgspec.json.decode(raw, type=SitePublic)

    # -- intake ----------------------------------------------------------------------------

    def check_rate_limits(
        self, site_id: str, buckets: Sequence[tuple[str, str, float, float]]
    ) -> RateLimitResult:
        """Charge one token from every bucket ``(kind, value, rate/s, capacity)`` or from none."""
        if not buckets:
            return RateLimitResult(True, 0.0)
        keys = [self.keys.bucket(site_id, kind, value) for kind, value, _, _ in buckets]
        args: list[float] = [1]
        for _, _, rate, capacity in buckets:
            args.extend((rate, capacity))
        allowed, wait_ms, index = self._ratelimit(keys=keys, args=args)
        if allowed:
            return RateLimitResult(True, 0.0)
        return RateLimitResult(False, int(wait_ms) / 1000.0, buckets[int(index) - 1][0])

    def accept_comment(
        self,
        site_id: str,
        comment: CommentIn,
        request_id: str,
        buckets: Sequence[tuple[str, str, float, float]] = (),
        now: float | None = None,
        kick_ttl_seconds: float = 2.0,
    ) -> IntakeResult:
        """Admit a comment in one atomic round trip: charge the rate-limit ``buckets``, then
        store it pending and queue it, or return the record a repeat refers to; counted for
        the metrics either way."""
        record_id = new_record_id()
        received = time.time() if now is None else now
        args: list[Any] = [
            record_id,
            self._encoder.encode(comment),
            repr(received),
            site_id,
            request_id,
            max(self.retention_seconds, _IDEMPOTENCY_MIN_TTL),
            _member(site_id, record_id),
            int(kick_ttl_seconds * 1000),
            *(
                _series("comments_total", {"site": site_id, "outcome": outcome})
                for outcome in ("rate_limited", "duplicate", "accepted")
            ),
            _MINUTE_TTL,
            len(buckets),
        ]
        for _, _, rate, capacity in buckets:
            args.extend((rate, capacity))
        status, value, extra = self._admit(
            keys=[
                self.keys.record(site_id, record_id),
                self.keys.external(site_id, comment.id),
                self.keys.score_queue(),
                self.keys.pending(),
                self.keys.kick(),
                self.keys.counters(),
                self.keys.minute(int(received // 60)),
                *(self.keys.bucket(site_id, kind, v) for kind, v, _, _ in buckets),
            ],
            args=args,
        )
        if int(status) == 0:
            limited = RateLimitResult(False, int(value) / 1000.0, buckets[int(extra) - 1][0])
            return IntakeResult("", False, received, rate_limited=limited)
        return IntakeResult(_s(value), int(status) == 1, received, kick=bool(int(extra)))

    def kick_scoring(self, ttl_seconds: float = 2.0) -> bool:
        """True when the caller should send a scoring task: no drain was asked for lately."""
        return bool(self.r.set(self.keys.kick(), "1", nx=True, px=int(ttl_seconds * 1000)))

    def clear_kick(self) -> None:
        self.r.delete(self.keys.kick())

    def queue_length(self) -> int:
        return int(self.r.llen(self.keys.score_queue()))

    def claim_batch(self, count: int, now: float | None = None) -> list[ClaimedItem]:
        members = self._claim(
            keys=[self.keys.score_queue(), self.keys.claims()],
            args=[count, repr(time.time() if now is None else now)],
        )
        items = []
        for raw in members or []:
            member = _s(raw)
            site_id, record_id = split_member(member)
            items.append(ClaimedItem(site_id, record_id, member))
        return items

    def release_claims(self, items: Iterable[ClaimedItem]) -> None:
        members = [i.member for i in items]
        if members:
            self.r.zrem(self.keys.claims(), *members)

    def requeue(self, members: Sequence[str]) -> int:
        """Put items back on the scoring queue (after a crash, or by an operator)."""
        if not members:
            return 0
        pipe = self.r.pipeline(transaction=True)
        pipe.zrem(self.keys.claims(), *members)
        pipe.rpush(self.keys.score_queue(), *members)
        pipe.execute()
        return len(members)

    def expired_claims(self, older_than: float) -> list[str]:
        return [_s(m) for m in self.r.zrangebyscore(self.keys.claims(), "-inf", older_than)]

    def stuck_pending(self, older_than: float, limit: int = 1000) -> list[tuple[str, float]]:
        """Records still pending that were received before ``older_than``, oldest first."""
        rows = self.r.zrangebyscore(
            self.keys.pending(), "-inf", older_than, start=0, num=limit, withscores=True
        )
        return [(_s(m), float(score)) for m, score in rows]

    def pending_count(self) -> int:
        return int(self.r.zcard(self.keys.pending()))

    def forget_pending(self, member: str) -> None:
        self.r.zrem(self.keys.pending(), member)

    # -- records ---------------------------------------------------------------------------

    def get_record(self, site_id: str, record_id: str) -> CommentRecord | None:
        raw = self.r.hgetall(self.keys.record(site_id, record_id))
        return _decode_record(record_id, raw)

    def get_records(self, items: Sequence[tuple[str, str]]) -> list[CommentRecord | None]:
        pipe = self.r.pipeline(transaction=False)
        for site_id, record_id in items:
            pipe.hgetall(self.keys.record(site_id, record_id))
        return [
            _decode_record(rid, raw) for (_, rid), raw in zip(items, pipe.execute(), strict=True)
        ]

    def record_version(self, site_id: str, record_id: str) -> int:
        raw = self.r.hget(self.keys.record(site_id, record_id), "version")
        return -1 if raw is None else int(raw)

    def set_verdict(
        self, record: CommentRecord, verdict: Verdict, expected_version: int
    ) -> VerdictEvent | None:
        """Store a verdict if the record is still at ``expected_version``.

        Returns the event as the feed has it (with its cursor), for the callback; None means
        another writer got there first.
        """
        return self.set_verdicts([(record, verdict, expected_version)])[0]

    def set_verdicts(
        self, entries: Sequence[tuple[CommentRecord, Verdict, int]]
    ) -> list[VerdictEvent | None]:
        """:meth:`set_verdict` for a batch, in one round trip; each entry is its own atomic step."""
        pipe = self.r.pipeline(transaction=False)
        events = []
        for record, verdict, expected_version in entries:
            site_id, record_id = record.site_id, record.id
            author = author_key(record.comment.author)
            event = VerdictEvent(
                event="verdict.updated" if expected_version else "verdict.created",
                site_id=site_id,
                record_id=record_id,
                comment_id=record.comment.id,
                post_id=record.comment.post.id,
                verdict=verdict,
            )
            events.append(event)
            self._set_verdict(
                keys=[
                    self.keys.record(site_id, record_id),
                    self.keys.pending(),
                    self.keys.review(site_id),
                    self.keys.feed(site_id),
                    self.keys.claims(),
                    self.keys.decided(site_id, "approved"),
                    self.keys.decided(site_id, "spam"),
                    self.keys.decided(site_id, "rejected"),
                    self.keys.author_records(site_id, author),
                ],
                args=[
                    self._encoder.encode(verdict),
                    verdict.status,
                    expected_version,
                    _member(site_id, record_id),
                    record_id,
                    self.retention_seconds,
                    repr(verdict.decided_at),
                    _FEED_MAXLEN,
                    self._encoder.encode(event),
                    self.keys.verdict_channel(),
                    repr(record.received_at),
                    "1" if author else "0",
                ],
                client=pipe,
            )
        replies = pipe.execute() if entries else []
        return [
            msgspec.structs.replace(event, cursor=_s(feed_id)) if int(status) == 1 else None
            for event, (status, _, feed_id) in zip(events, replies, strict=True)
        ]

    def feed(
        self, site_id: str, cursor: str = "", limit: int = 100
    ) -> tuple[list[VerdictEvent], str]:
        """A site's verdict changes after ``cursor`` (exclusive), oldest first; the next cursor."""
        start = f"({cursor}" if cursor else "-"
        rows = self.r.xrange(self.keys.feed(site_id), min=start, max="+", count=limit)
        events = []
        next_cursor = cursor
        for entry_id, fields in rows:
            next_cursor = _s(entry_id)
            event = msgspec.json.decode(fields[b"e"], type=VerdictEvent)
            events.append(msgspec.structs.replace(event, cursor=next_cursor))
        return events, next_cursor

    def review_queue(self, site_id: str, limit: int = 100) -> list[str]:
        return [_s(m) for m in self.r.zrange(self.keys.review(site_id), 0, limit - 1)]

    # -- signals for checks ----------------------------------------------------------------

    def count_in_windows(
        self, entries: Sequence[tuple[str, str, str]], window_seconds: float
    ) -> list[int]:
        """For each ``(site, author key, record id)``: comments by that author in the window.

        One round trip for a whole batch; the record id is the member, so a rerun counts nothing
        twice.
        """
        now = repr(time.time())
        pipe = self.r.pipeline(transaction=False)
        for site_id, author, record_id in entries:
            self._flood(
                keys=[self.keys.flood(site_id, author)],
                args=[now, window_seconds, record_id],
                client=pipe,
            )
        return [int(n) for n in pipe.execute()] if entries else []

    def note_contents(self, entries: Sequence[tuple[str, str, str]], ttl_seconds: int) -> list[int]:
        """For each ``(site, content digest, record id)``: how many records had that content."""
        pipe = self.r.pipeline(transaction=False)
        for site_id, digest, record_id in entries:
            key = self.keys.content_seen(site_id, digest)
            pipe.sadd(key, record_id)
            pipe.expire(key, ttl_seconds)
            pipe.scard(key)
        replies = pipe.execute() if entries else []
        return [int(n) for n in replies[2::3]]

    def recent_fingerprints(self, site_id: str) -> list[tuple[str, int]]:
        return [
            (rid, int(fp))
            for rid, _, fp in (
                _s(x).partition(":") for x in self.r.lrange(self.keys.fingerprints(site_id), 0, -1)
            )
        ]

    def add_fingerprints(self, entries: Sequence[tuple[str, str, int]], keep: int) -> None:
        """Remember ``(site, record id, fingerprint)`` for near-duplicate checks, newest first."""
        if not entries:
            return
        pipe = self.r.pipeline(transaction=True)
        for site_id, record_id, fingerprint in entries:
            key = self.keys.fingerprints(site_id)
            pipe.lpush(key, f"{record_id}:{fingerprint}")
            pipe.ltrim(key, 0, keep - 1)
            pipe.expire(key, self.retention_seconds)
        pipe.execute()

    def reputation(self, site_id: str, author_key: str) -> dict[str, int]:
        return self.reputations([(site_id, author_key)])[0]

    def reputations(self, entries: Sequence[tuple[str, str]]) -> list[dict[str, int]]:
        """Verdict counts per ``(site, author key)``, in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        for site_id, author in entries:
            pipe.hgetall(self.keys.reputation(site_id, author))
        replies = pipe.execute() if entries else []
        return [{_s(k): int(v) for k, v in raw.items()} for raw in replies]

    def bump_reputations(self, entries: Sequence[tuple[str, str, str]], by: int = 1) -> None:
        """Count one more verdict ``(site, author key, status)`` for each entry."""
        if not entries:
            return
        pipe = self.r.pipeline(transaction=True)
        for site_id, author, field in entries:
            key = self.keys.reputation(site_id, author)
            pipe.hincrby(key, field, by)
            pipe.expire(key, self.retention_seconds * 12)
        pipe.execute()

    # -- deliveries ------------------------------------------------------------------------

    def create_delivery(
        self,
        site_id: str,
        record_id: str,
        version: int,
        event: str,
        body: bytes,
        request_id: str = "",
    ) -> str:
        delivery_id = "d_" + secrets.token_hex(8)
        key = self.keys.delivery(site_id, delivery_id)
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "record_id": record_id,
                "version": version,
                "event": event,
                "body": body,
                "status": "pending",
                "created_at": repr(time.time()),
                "attempts": 0,
                "last_error": "",
                "request_id": request_id,
            },
        )
        pipe.expire(key, self.retention_seconds)
        pipe.rpush(self.keys.record_deliveries(site_id, record_id), delivery_id)
        pipe.expire(self.keys.record_deliveries(site_id, record_id), self.retention_seconds)
        pipe.execute()
        return delivery_id

    def get_delivery(self, site_id: str, delivery_id: str) -> Delivery | None:
        raw = self.r.hgetall(self.keys.delivery(site_id, delivery_id))
        if not raw:
            return None
        return Delivery(
            id=delivery_id,
            site_id=site_id,
            record_id=_s(raw[b"record_id"]),
            version=int(raw[b"version"]),
            event=_s(raw[b"event"]),
            body=bytes(raw[b"body"]),
            status=_s(raw[b"status"]),
            created_at=float(raw[b"created_at"]),
            attempts=int(raw[b"attempts"]),
            last_error=_s(raw.get(b"last_error", b"")),
            request_id=_s(raw.get(b"request_id", b"")),
            retry_base=int(raw.get(b"retry_base", 0)),
        )

    def record_attempt(
        self, site_id: str, delivery_id: str, attempt: DeliveryAttempt, status: str
    ) -> None:
        """Append an attempt and set the delivery's status; a dead one joins the dead letters."""
        key = self.keys.delivery(site_id, delivery_id)
        pipe = self.r.pipeline(transaction=True)
        pipe.rpush(self.keys.delivery_attempts(site_id, delivery_id), self._encoder.encode(attempt))
        pipe.expire(self.keys.delivery_attempts(site_id, delivery_id), self.retention_seconds)
        pipe.hset(
            key,
            mapping={"status": status, "attempts": attempt.attempt, "last_error": attempt.error},
        )
        member = _member(site_id, delivery_id)
        if status == "dead":
            pipe.zadd(self.keys.dead_letters(), {member: attempt.at})
            pipe.persist(key)
            pipe.persist(self.keys.delivery_attempts(site_id, delivery_id))
        else:
            pipe.zrem(self.keys.dead_letters(), member)
        self._count_callback(pipe, site_id, attempt.outcome, attempt.at)
        pipe.execute()

    def delivery_attempts(self, site_id: str, delivery_id: str) -> list[DeliveryAttempt]:
        rows = self.r.lrange(self.keys.delivery_attempts(site_id, delivery_id), 0, -1)
        return [msgspec.json.decode(r, type=DeliveryAttempt) for r in rows]

    def record_deliveries(self, site_id: str, record_id: str) -> list[Delivery]:
        ids = [_s(i) for i in self.r.lrange(self.keys.record_deliveries(site_id, record_id), 0, -1)]
        found = [self.get_delivery(site_id, i) for i in ids]
        return [d for d in found if d is not None]

    def dead_letters(self, limit: int = 100) -> list[Delivery]:
        members = [_s(m) for m in self.r.zrange(self.keys.dead_letters(), 0, limit - 1)]
        found = [self.get_delivery(*split_member(m)) for m in members]
        return [d for d in found if d is not None]

    def dead_letter_count(self) -> int:
        return int(self.r.zcard(self.keys.dead_letters()))

    def take_dead_letter(self, site_id: str, delivery_id: str) -> bool:
        """Remove a delivery from the dead letters (to re-drive or purge it); False if absent."""
        return bool(self.r.zrem(self.keys.dead_letters(), _member(site_id, delivery_id)))

    # -- moderation: accounts and sessions ---------------------------------------------------

    def create_account(self, account: Account) -> bool:
        """Store a new account; False when its email is taken."""
        created = self._create_account(
            keys=[
                self.keys.account(account.id),
                self.keys.account_email(account.email),
                self.keys.accounts(),
            ],
            args=[self._encoder.encode(account), account.id],
        )
        return bool(created)

    def get_account(self, account_id: str) -> Account | None:
        raw = self.r.get(self.keys.account(account_id))
        return None if raw is None else msgspec.json.decode(raw, type=Account)

    def account_by_email(self, email: str) -> Account | None:
        account_id = self.r.get(self.keys.account_email(email))
        return None if account_id is None else self.get_account(_s(account_id))

    def list_accounts(self) -> list[Account]:
        ids = sorted(_s(i) for i in self.r.smembers(self.keys.accounts()))
        found = [self.get_account(i) for i in ids]
        return [a for a in found if a is not None]

    def save_account(self, account: Account) -> None:
        """Overwrite an account's fields (its email never changes, so no index moves)."""
        self.r.set(self.keys.account(account.id), self._encoder.encode(account), xx=True)

    def add_account_token(self, account_id: str, token_hash: str) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.set(self.keys.account_token(token_hash), account_id)
        pipe.sadd(self.keys.account_tokens(account_id), token_hash)
        pipe.execute()

    def account_for_token(self, token_hash: str) -> Account | None:
        account_id = self.r.get(self.keys.account_token(token_hash))
        return None if account_id is None else self.get_account(_s(account_id))

    def revoke_account_tokens(self, account_id: str) -> int:
        hashes = [_s(h) for h in self.r.smembers(self.keys.account_tokens(account_id))]
        pipe = self.r.pipeline(transaction=True)
        for token_hash in hashes:
            pipe.delete(self.keys.account_token(token_hash))
        pipe.delete(self.keys.account_tokens(account_id))
        pipe.execute()
        return len(hashes)

    def create_session(
        self, session_id: str, account_id: str, ttl_seconds: int, max_seconds: int
    ) -> None:
        """A session, also listed under its account so a password change can end them all.

        It ends after ``ttl_seconds`` without use, and ``max_seconds`` after now however used.
        """
        listed = self.keys.account_sessions(account_id)
        known = [_s(m) for m in self.r.smembers(listed)]
        gone = [m for m, alive in zip(known, self._exist_each(known), strict=True) if not alive]
        deadline = int(time.time()) + max(1, max_seconds)
        pipe = self.r.pipeline(transaction=True)
        pipe.set(
            self.keys.session(session_id),
            f"{account_id}|{deadline}",
            ex=max(1, min(ttl_seconds, max_seconds)),
        )
        pipe.sadd(listed, session_id)
        if gone:  # sessions that expired on their own
            pipe.srem(listed, *gone)
        pipe.execute()

    def _exist_each(self, session_ids: list[str]) -> list[bool]:
        pipe = self.r.pipeline(transaction=False)
        for session_id in session_ids:
            pipe.exists(self.keys.session(session_id))
        return [bool(n) for n in pipe.execute()] if session_ids else []

    def revoke_account_sessions(self, account_id: str) -> int:
        """End every session of an account (password changed, account disabled)."""
        listed = self.keys.account_sessions(account_id)
        session_ids = [_s(m) for m in self.r.smembers(listed)]
        pipe = self.r.pipeline(transaction=True)
        for session_id in session_ids:
            pipe.delete(self.keys.session(session_id))
        pipe.delete(listed)
        pipe.execute()
        return len(session_ids)

    def session_account(self, session_id: str, ttl_seconds: int) -> str | None:
        """The account of a live session, whose idle timeout starts again (one script, so a
        session cannot be extended past its absolute end)."""
        raw = self._session_touch(
            keys=[self.keys.session(session_id)], args=[max(1, ttl_seconds), int(time.time())]
        )
        return None if raw is None else _s(raw)

    def delete_session(self, session_id: str) -> None:
        self.r.delete(self.keys.session(session_id))

    # -- moderation: queue, decisions, audit, feedback ---------------------------------------

    def status_members(self, site_id: str, status: str, limit: int) -> list[tuple[str, float]]:
        """Record ids in a site's review queue (``held``) or decided index, oldest first."""
        key = self.keys.review(site_id) if status == "held" else self.keys.decided(site_id, status)
        rows = self.r.zrange(key, 0, limit - 1, withscores=True)
        return [(_s(m), float(score)) for m, score in rows]

    def status_counts(self, site_id: str) -> dict[str, int]:
        pipe = self.r.pipeline(transaction=False)
        pipe.zcard(self.keys.review(site_id))
        for status in ("approved", "spam", "rejected"):
            pipe.zcard(self.keys.decided(site_id, status))
        held, approved, spam, rejected = pipe.execute()
        return {
            "held": int(held),
            "approved": int(approved),
            "spam": int(spam),
            "rejected": int(rejected),
        }

    def forget_indexed(self, site_id: str, record_id: str) -> None:
        """Drop a record that expired from the decided indexes (the review queue never expires)."""
        pipe = self.r.pipeline(transaction=True)
        for status in ("approved", "spam", "rejected"):
            pipe.zrem(self.keys.decided(site_id, status), record_id)
        pipe.execute()

    def author_history(self, site_id: str, author: str, limit: int = 50) -> list[str]:
        """The author's most recent record ids on the site, newest first."""
        if not author:
            return []
        key = self.keys.author_records(site_id, author)
        return [_s(m) for m in self.r.zrevrange(key, 0, limit - 1)]

    def record_decision(
        self,
        site_id: str,
        author: str,
        moves: tuple[str, str],
        audit: dict[str, Any],
        feedback: dict[str, Any],
        words: Sequence[str],
        word_moves: tuple[str, str],
        undo: tuple[dict[str, Any], int] | None,
    ) -> str:
        """What follows a stored moderator decision, in one MULTI: reputation moves from the old
        status to the new one, an audit entry, a feedback label, word counts, the undo ticket
        (or its removal when ``undo`` is None). Returns the audit entry id."""
        old_status, new_status = moves
        pipe = self.r.pipeline(transaction=True)
        # the audit entry goes first: its id is the first reply
        pipe.xadd(
            self.keys.audit(),
            {"e": self._encoder.encode(audit)},
            maxlen=_FEED_MAXLEN,
            approximate=True,
        )
        pipe.xadd(
            self.keys.feedback(),
            {"e": self._encoder.encode(feedback)},
            maxlen=_FEED_MAXLEN,
            approximate=True,
        )
        if author and old_status != new_status:
            key = self.keys.reputation(site_id, author)
            if old_status:
                pipe.hincrby(key, old_status, -1)
            pipe.hincrby(key, new_status, 1)
            pipe.expire(key, self.retention_seconds * 12)
        take, give = word_moves
        for word in words:
            if take:
                pipe.zincrby(self.keys.word_counts(site_id, take), -1, word)
            if give:
                pipe.zincrby(self.keys.word_counts(site_id, give), 1, word)
        for kind in {take, give} - {""}:
            pipe.zremrangebyscore(self.keys.word_counts(site_id, kind), "-inf", 0)
        undo_key = self.keys.undo(site_id, str(audit["record_id"]))
        if undo is None:
            pipe.delete(undo_key)
        else:
            ticket, ttl = undo
            pipe.set(undo_key, self._encoder.encode(ticket), ex=max(1, ttl))
        return _s(pipe.execute()[0])

    def undo_ticket(self, site_id: str, record_id: str) -> dict[str, Any] | None:
        raw = self.r.get(self.keys.undo(site_id, record_id))
        return None if raw is None else dict(msgspec.json.decode(raw))

    def take_undo_ticket(self, site_id: str, record_id: str) -> dict[str, Any] | None:
        """Claim the undo ticket (GETDEL: only one undo can win)."""
        raw = self.r.getdel(self.keys.undo(site_id, record_id))
        return None if raw is None else dict(msgspec.json.decode(raw))

    def word_counts(self, site_id: str, kind: str, limit: int = 200) -> dict[str, int]:
        rows = self.r.zrevrange(self.keys.word_counts(site_id, kind), 0, limit - 1, withscores=True)
        return {_s(w): int(c) for w, c in rows}

    def word_count_of(self, site_id: str, kind: str, words: Sequence[str]) -> list[int]:
        if not words:
            return []
        scores = self.r.zmscore(self.keys.word_counts(site_id, kind), list(words))
        return [int(x or 0) for x in scores]

    def _stream(self, key: str, newest_first: bool, cursor: str, limit: int) -> Iterator[Any]:
        if newest_first:
            rows = self.r.xrevrange(key, max=f"({cursor}" if cursor else "+", min="-", count=limit)
        else:
            rows = self.r.xrange(key, min=f"({cursor}" if cursor else "-", max="+", count=limit)
        for entry_id, fields in rows:
            yield _s(entry_id), msgspec.json.decode(fields[b"e"])

    def audit_entries(
        self, cursor: str = "", limit: int = 500, newest_first: bool = True
    ) -> list[tuple[str, dict[str, Any]]]:
        return list(self._stream(self.keys.audit(), newest_first, cursor, limit))

    def feedback_entries(
        self, cursor: str = "", limit: int = 1000
    ) -> list[tuple[str, dict[str, Any]]]:
        """Feedback labels oldest first, after ``cursor``."""
        return list(self._stream(self.keys.feedback(), False, cursor, limit))

    # -- ops --

    def _count(self, pipe: Any, name: str, labels: dict[str, str], by: int = 1) -> None:
        pipe.hincrby(self.keys.counters(), _series(name, labels), by)

    def _count_minute(self, pipe: Any, now: float, fields: dict[str, int]) -> None:
        key = self.keys.minute(int(now // 60))
        for name, by in fields.items():
            pipe.hincrby(key, name, by)
        pipe.expire(key, _MINUTE_TTL)

    def _observe(self, pipe: Any, name: str, seconds: float) -> int:
        index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        pipe.hincrby(self.keys.histograms(), f"{name}|{index}", 1)
        pipe.hincrbyfloat(self.keys.histograms(), f"{name}|sum", seconds)
        return index

    def note_intake(self, site_id: str, outcome: str, now: float | None = None) -> None:
        """Count one intake answer: ``accepted``, ``duplicate``, ``invalid`` or ``rate_limited``."""
        pipe = self.r.pipeline(transaction=True)
        self._count(pipe, "comments_total", {"site": site_id, "outcome": outcome})
        self._count_minute(pipe, time.time() if now is None else now, {outcome: 1})
        pipe.execute()

    def note_scored(
        self,
        batch_seconds: float,
        verdicts: Sequence[tuple[str, str, float]],
        now: float | None = None,
    ) -> None:
        """Count a scored batch: its duration and each ``(site, decision, accept-to-verdict)``."""
        now = time.time() if now is None else now
        pipe = self.r.pipeline(transaction=True)
        self._observe(pipe, "scoring_duration_seconds", batch_seconds)
        minute: dict[str, int] = {"verdicts": len(verdicts)}
        for site_id, decision, latency in verdicts:
            self._count(pipe, "verdicts_total", {"site": site_id, "decision": decision})
            index = self._observe(pipe, "verdict_latency_seconds", latency)
            minute[f"lat{index}"] = minute.get(f"lat{index}", 0) + 1
        self._count_minute(pipe, now, minute)
        pipe.execute()

    def _count_callback(self, pipe: Any, site_id: str, outcome: str, now: float) -> None:
        self._count(pipe, "callback_attempts_total", {"site": site_id, "outcome": outcome})
        fields = {"callbacks": 1}
        if outcome != "delivered":
            fields["callback_failures"] = 1
        if outcome == "dead":
            self._count(pipe, "dead_letters_total", {"site": site_id})
            fields["dead_letters"] = 1
        self._count_minute(pipe, now, fields)

    def counter_values(self) -> list[tuple[str, dict[str, str], int]]:
        """Every counter as ``(name, labels, value)``; the sum of all api and worker processes."""
        rows = self.r.hgetall(self.keys.counters())
        return [(*_parse_series(_s(k)), int(v)) for k, v in rows.items()]

    def histogram_values(self) -> dict[str, Histogram]:
        """Each histogram's per-bucket counts (not cumulative; last one is +Inf) and sum."""
        found: dict[str, Histogram] = {}
        for raw_field, raw_value in self.r.hgetall(self.keys.histograms()).items():
            name, _, part = _s(raw_field).rpartition("|")
            hist = found.setdefault(name, Histogram([0] * (len(LATENCY_BUCKETS) + 1), 0.0))
            if part == "sum":
                hist.sum = float(raw_value)
            else:
                hist.buckets[int(part)] += int(raw_value)
        return found

    def minute_series(self, minutes: int = 60, now: float | None = None) -> list[MinuteStats]:
        """Per-minute counts of the last ``minutes`` minutes, oldest first (gaps are zeros)."""
        last = int((time.time() if now is None else now) // 60)
        wanted = list(range(last - minutes + 1, last + 1))
        pipe = self.r.pipeline(transaction=False)
        for minute in wanted:
            pipe.hgetall(self.keys.minute(minute))
        return [
            MinuteStats(minute * 60, {_s(k): int(float(v)) for k, v in raw.items()})
            for minute, raw in zip(wanted, pipe.execute(), strict=True)
        ]

    def sample_queue_depth(self, depth: int, now: float | None = None) -> None:
        """Remember the deepest scoring queue seen this minute, for the last-hour chart."""
        minute = int((time.time() if now is None else now) // 60)
        self._gauge_max(keys=[self.keys.minute(minute)], args=["depth", depth, _MINUTE_TTL])

    def heartbeat(self, beat: WorkerBeat, ttl_seconds: float) -> None:
        """A worker process says it is alive (and which models it has) for ``ttl_seconds``."""
        pipe = self.r.pipeline(transaction=True)
        pipe.set(self.keys.worker(beat.id), self._encoder.encode(beat), px=int(ttl_seconds * 1000))
        pipe.zadd(self.keys.workers(), {beat.id: beat.at})
        pipe.zremrangebyscore(self.keys.workers(), "-inf", beat.at - 86400)
        pipe.execute()

    def drop_heartbeat(self, worker_id: str) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.worker(worker_id))
        pipe.zrem(self.keys.workers(), worker_id)
        pipe.execute()

    def live_workers(self) -> list[WorkerBeat]:
        """Worker processes whose heartbeat has not expired."""
        ids = [_s(i) for i in self.r.zrevrange(self.keys.workers(), 0, 999)]
        if not ids:
            return []
        raw = self.r.mget([self.keys.worker(i) for i in ids])
        return [msgspec.json.decode(r, type=WorkerBeat) for r in raw if r is not None]

    def queue_gauges(self, celery_queues: Sequence[str], now: float | None = None) -> QueueGauges:
        """Depth and oldest item of every queue, the pending index and the dead letters."""
        now = time.time() if now is None else now
        pipe = self.r.pipeline(transaction=False)
        pipe.llen(self.keys.score_queue())
        pipe.zcard(self.keys.pending())
        pipe.zrange(self.keys.pending(), 0, 0, withscores=True)
        pipe.zcard(self.keys.dead_letters())
        pipe.zrange(self.keys.dead_letters(), 0, 0, withscores=True)
        for name in celery_queues:
            pipe.llen(self.keys.celery_queue(name))
            pipe.lindex(self.keys.celery_queue(name), -1)  # kombu LPUSHes, so -1 is oldest
        score_depth, pending, oldest, dead, oldest_dead, *rest = pipe.execute()
        depths, ages = {"score": int(score_depth)}, {"score": _age(oldest, now)}
        for index, name in enumerate(celery_queues):
            depths[name] = int(rest[2 * index])
            ages[name] = _message_age(rest[2 * index + 1], now)
        return QueueGauges(
            depth=depths,
            oldest_age=ages,
            pending=int(pending),
            pending_oldest_age=_age(oldest, now),
            dead_letters=int(dead),
            dead_letter_oldest_age=_age(oldest_dead, now),
        )

    def review_gauges(self, now: float | None = None) -> list[tuple[str, int, float]]:
        """``(site, held items, age of the oldest)`` for every site."""
        now = time.time() if now is None else now
        ids = sorted(_s(i) for i in self.r.smembers(self.keys.sites()))
        pipe = self.r.pipeline(transaction=False)
        for site_id in ids:
            pipe.zcard(self.keys.review(site_id))
            pipe.zrange(self.keys.review(site_id), 0, 0, withscores=True)
        replies = pipe.execute()
        return [
            (site_id, int(replies[2 * i]), _age(replies[2 * i + 1], now))
            for i, site_id in enumerate(ids)
        ]

    def redrive_dead_letter(self, site_id: str, delivery_id: str) -> bool:
        """Make a dead delivery pending again with a fresh retry budget; False if not dead."""
        return bool(
            self._redrive(
                keys=[
                    self.keys.dead_letters(),
                    self.keys.delivery(site_id, delivery_id),
                    self.keys.delivery_attempts(site_id, delivery_id),
                ],
                args=[_member(site_id, delivery_id), self.retention_seconds],
            )
        )

    def purge_dead_letter(self, site_id: str, delivery_id: str) -> bool:
        """Forget a dead delivery and its attempts; False if it was not a dead letter."""
        if not self.take_dead_letter(site_id, delivery_id):
            return False
        record_id = self.r.hget(self.keys.delivery(site_id, delivery_id), "record_id")
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.delivery(site_id, delivery_id))
        pipe.delete(self.keys.delivery_attempts(site_id, delivery_id))
        if record_id is not None:
            pipe.lrem(self.keys.record_deliveries(site_id, _s(record_id)), 0, delivery_id)
        pipe.execute()
        return True

    def dead_letter_ids(self, limit: int = 10_000) -> list[tuple[str, str]]:
        members = self.r.zrange(self.keys.dead_letters(), 0, limit - 1)
        return [split_member(_s(m)) for m in members]

    def note_redrive(self, kind: str, count: int) -> None:
        if count:
            self.r.hincrby(self.keys.counters(), _series("redrives_total", {"kind": kind}), count)

    def trim_expired(self, cutoff: float) -> dict[str, int]:
        """Remove what key TTLs do not: feed entries, dead letters and index entries older than
        ``cutoff``. Safe to run any number of times."""
        trimmed = {"feed_entries": 0, "feedback_entries": 0, "dead_letters": 0, "pending_index": 0}
        min_id = f"{int(cutoff * 1000)}-0"
        for site_id in sorted(_s(i) for i in self.r.smembers(self.keys.sites())):
            for stream in self._site_streams(site_id):
                trimmed["feed_entries"] += int(self.r.xtrim(stream, minid=min_id))
        # moderator labels hold comment texts and author details: they age out like records
        trimmed["feedback_entries"] = int(self.r.xtrim(self.keys.feedback(), minid=min_id))
        for member, _ in self.r.zrangebyscore(
            self.keys.dead_letters(), "-inf", cutoff, withscores=True
        ):
            if self.purge_dead_letter(*split_member(_s(member))):
                trimmed["dead_letters"] += 1
        # a record that expired while pending leaves its index entry behind
        old = [m for m, _ in self.stuck_pending(cutoff, limit=10_000)]
        pipe = self.r.pipeline(transaction=False)
        for member in old:
            pipe.exists(self.keys.record(*split_member(member)))
        gone = [m for m, exists in zip(old, pipe.execute(), strict=True) if not exists]
        if gone:
            trimmed["pending_index"] = int(self.r.zrem(self.keys.pending(), *gone))
        return trimmed

    def _site_streams(self, site_id: str) -> list[str]:
        return [self.keys.feed(site_id)]

    def _drop_site_entries(self, stream: str, site_id: str) -> int:
        """XDEL a site's entries from a stream shared by all sites (JSON in field ``e``)."""
        dropped, start = 0, "-"
        while True:
            rows = self.r.xrange(stream, min=start, max="+", count=1000)
            if not rows:
                return dropped
            mine = [
                entry_id
                for entry_id, fields in rows
                if msgspec.json.decode(fields.get(b"e", b"{}")).get("site_id") == site_id
            ]
            if mine:
                dropped += int(self.r.xdel(stream, *mine))
            start = f"({_s(rows[-1][0])}"

    def delete_site_data(self, site_id: str, include_site: bool = False) -> dict[str, int]:
        """Delete everything stored about a site's comments (GDPR erasure); with
        ``include_site`` also the site itself and its API key. Idempotent."""
        site = self.get_site(site_id)
        keep = set() if include_site else {self.keys.site(site_id)}
        removed = {"keys": 0, "index_entries": 0}
        batch: list[str] = []
        for raw in self.r.scan_iter(match=self.keys.site_keys_pattern(site_id), count=1000):
            key = _s(raw)
            if key not in keep:
                batch.append(key)
            if len(batch) >= 500:
                removed["keys"] += int(self.r.unlink(*batch))
                batch = []
        if batch:
            removed["keys"] += int(self.r.unlink(*batch))
        match = f"{site_id}|*"
        for zset in (self.keys.pending(), self.keys.claims(), self.keys.dead_letters()):
            members = [m for m, _ in self.r.zscan_iter(zset, match=match, count=1000)]
            for start in range(0, len(members), 500):
                chunk = members[start : start + 500]
                pipe = self.r.pipeline(transaction=False)
                pipe.zrem(zset, *chunk)
                if zset == self.keys.pending():
                    for member in chunk:
                        pipe.lrem(self.keys.score_queue(), 0, member)
                removed["index_entries"] += int(pipe.execute()[0])
        for stream in (self.keys.feedback(), self.keys.audit()):
            removed["index_entries"] += self._drop_site_entries(stream, site_id)
        series = [f for f, _ in self.r.hscan_iter(self.keys.counters(), match=f'*"{site_id}"*')]
        if series:
            self.r.hdel(self.keys.counters(), *series)
        if include_site:
            pipe = self.r.pipeline(transaction=True)
            if site is not None:
                pipe.delete(self.keys.api_key(site.api_key_hash))
            pipe.srem(self.keys.sites(), site_id)
            pipe.execute()
        return removed

    # -- compat --

    def record_for_comment_id(self, site_id: str, comment_id: str) -> str | None:
        """The record intake made for the blog's comment id (the idempotency key), if any."""
        raw = self.r.get(self.keys.external(site_id, comment_id))
        return None if raw is None else _s(raw)

    def add_feedback(self, entry: dict[str, Any]) -> str:
        """Append a label that no verdict change goes with (a report about an unknown comment)."""
        return _s(
            self.r.xadd(
                self.keys.feedback(),
                {"e": self._encoder.encode(entry)},
                maxlen=_FEED_MAXLEN,
                approximate=True,
            )
        )

    @staticmethod
    def analysis_member(site_id: str, analysis_id: str) -> str:
        """What the worker publishes on the verdict channel when an analysis is done."""
        return _member(site_id, f"a:{analysis_id}")

    def put_analysis(self, site_id: str, analysis_id: str, request: bytes, ttl: int) -> None:
        """A transient text-analysis request: not a comment record, in no queue, short-lived."""
        self.r.set(self.keys.analysis(site_id, analysis_id), request, ex=max(1, ttl))

    def get_analysis(self, site_id: str, analysis_id: str) -> bytes | None:
        raw = self.r.get(self.keys.analysis(site_id, analysis_id))
        return None if raw is None else bytes(raw)

    def finish_analysis(self, site_id: str, analysis_id: str, result: bytes, ttl: int) -> None:
        """Store the result and wake the api process waiting for it, in one MULTI."""
        pipe = self.r.pipeline(transaction=True)
        pipe.set(self.keys.analysis_result(site_id, analysis_id), result, ex=max(1, ttl))
        pipe.publish(self.keys.verdict_channel(), self.analysis_member(site_id, analysis_id))
        pipe.execute()

    def analysis_result(self, site_id: str, analysis_id: str) -> bytes | None:
        raw = self.r.get(self.keys.analysis_result(site_id, analysis_id))
        return None if raw is None else bytes(raw)

    def drop_analysis(self, site_id: str, analysis_id: str) -> None:
        """Forget the request and its result (``doNotStore``)."""
        self.r.delete(
            self.keys.analysis(site_id, analysis_id),
            self.keys.analysis_result(site_id, analysis_id),
        )

    # -- maintenance -----------------------------------------------------------------------

    def scan_keys(self, pattern_suffix: str) -> Iterator[str]:
        for key in self.r.scan_iter(match=f"{self.keys.prefix}:{pattern_suffix}", count=500):
            yield _s(key)


def _decode_record(record_id: str, raw: dict[bytes, bytes]) -> CommentRecord | None:
    if not raw:
        return None
    verdict_raw = raw.get(b"verdict")
    return CommentRecord(
        id=record_id,
        site_id=_s(raw[b"site_id"]),
        comment=msgspec.json.decode(raw[b"comment"], type=CommentIn),
        received_at=float(raw[b"received_at"]),
        status=_s(raw[b"status"]),  # type: ignore[arg-type]
        verdict=None if verdict_raw is None else msgspec.json.decode(verdict_raw, type=Verdict),
        request_id=_s(raw.get(b"request_id", b"")),
    )


# -- ops --

LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip
"""Upper bounds (seconds) of the latency histograms; one more bucket holds the rest."""
_MINUTE_TTL = 3 * 3600
_SERIES_RE = re.compile(r'(\w+)="([^"]*)"')


class WorkerBeat(msgspec.Struct):
    """What a live worker process says about itself in its heartbeat."""

    id: str
    at: float
    pid: int
    host: str
    models_loaded: bool
    model_version: str = ""


@dataclass
class Histogram:
    buckets: list[int]
    sum: float


@dataclass(frozen=True)
class MinuteStats:
    at: float
    counts: dict[str, int]


@dataclass(frozen=True)
class QueueGauges:
    depth: dict[str, int]
    oldest_age: dict[str, float]
    pending: int
    pending_oldest_age: float
    dead_letters: int
    dead_letter_oldest_age: float


def _series(name: str, labels: dict[str, str]) -> str:
    """A counter's hash field: ``name{a="x",b="y"}`` with labels sorted and quotes dropped."""
    inner = ",".join(f'{k}="{str(v).replace(chr(34), "")}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def _parse_series(field: str) -> tuple[str, dict[str, str]]:
    name, _, rest = field.partition("{")
    return name, dict(_SERIES_RE.findall(rest))


def _age(first_with_score: list[tuple[bytes, float]], now: float) -> float:
    """Seconds since the score (a time) of a ZRANGE 0 0 WITHSCORES reply; 0 when empty."""
    if not first_with_score:
        return 0.0
    return max(0.0, now - float(first_with_score[0][1]))


def _message_age(raw: bytes | None, now: float) -> float:
    """Age of a waiting Celery message from the ``sent_at`` header our task client adds."""
    if raw is None:
        return 0.0
    try:
        sent_at = float(json.loads(raw)["headers"]["sent_at"])
    except (ValueError, KeyError, TypeError):
        return 0.0
    return max(0.0, now - sent_at)

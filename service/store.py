"""The Redis store: the only module that knows key names.

Keys are namespaced by the configured prefix; keys that hold one site's data carry the site id in
a hash tag (``cg:{site}:...``) so a Redis Cluster keeps a site's keys together. Every
read-modify-write is one Lua script or one MULTI, because many api processes and workers share it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import redis

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
    "ClaimedItem",
    "Delivery",
    "IntakeResult",
    "Keys",
    "RateLimitResult",
    "Store",
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


@dataclass(frozen=True)
class IntakeResult:
    record_id: str
    created: bool
    received_at: float


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


def _load_script(client: redis.Redis, name: str) -> Any:
    return client.register_script((_LUA_DIR / f"{name}.lua").read_text())


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Store:
    """All Commentguard state in Redis, behind named operations."""

    def __init__(self, client: redis.Redis, prefix: str = "cg", retention_days: int = 30) -> None:
        # Any: redis-py types replies as bytes | str because decoding is a runtime option
        self.r: Any = client
        self.keys = Keys(prefix)
        self.retention_seconds = max(1, int(retention_days * 86400))
        self._ratelimit = _load_script(client, "ratelimit")
        self._intake = _load_script(client, "intake")
        self._claim = _load_script(client, "claim")
        self._set_verdict = _load_script(client, "set_verdict")
        self._flood = _load_script(client, "flood")
        self._create_account = _load_script(client, "create_account")
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

    def save_site(self, site: SitePublic) -> None:
        self.r.set(self.keys.site(site.id), self._encoder.encode(site))

    def rotate_api_key(self, site_id: str) -> str | None:
        """Give a site a new API key; the old one stops working at once."""
        site = self.get_site(site_id)
        if site is None:
            return None
        api_key = f"cgk_{site_id[2:]}_{secrets.token_urlsafe(32)}"
        new_hash = hash_api_key(api_key)
        updated = msgspec.structs.replace(site, api_key_hash=new_hash)
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.api_key(site.api_key_hash))
        pipe.set(self.keys.api_key(new_hash), site_id)
        pipe.set(self.keys.site(site_id), self._encoder.encode(updated))
        pipe.execute()
        return api_key

    def site_for_api_key(self, api_key: str) -> SitePublic | None:
        """The site an API key belongs to; the lookup is by hash, so no secret is compared."""
        site_id = self.r.get(self.keys.api_key(hash_api_key(api_key)))
        if site_id is None:
            return None
        return self.get_site(_s(site_id))

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
        self, site_id: str, comment: CommentIn, request_id: str, now: float | None = None
    ) -> IntakeResult:
        """Store a comment as pending and queue it, or return the record a repeat refers to."""
        record_id = new_record_id()
        received = time.time() if now is None else now
        created, rid = self._intake(
            keys=[
                self.keys.record(site_id, record_id),
                self.keys.external(site_id, comment.id),
                self.keys.score_queue(),
                self.keys.pending(),
            ],
            args=[
                record_id,
                self._encoder.encode(comment),
                repr(received),
                site_id,
                request_id,
                max(self.retention_seconds, _IDEMPOTENCY_MIN_TTL),
                _member(site_id, record_id),
            ],
        )
        return IntakeResult(_s(rid), bool(created), received)

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
    ) -> tuple[bool, str]:
        """Store a verdict if the record is still at ``expected_version``.

        Returns (stored, feed cursor). A False means another writer got there first.
        """
        site_id, record_id = record.site_id, record.id
        event = VerdictEvent(
            event="verdict.updated" if expected_version else "verdict.created",
            site_id=site_id,
            record_id=record_id,
            comment_id=record.comment.id,
            post_id=record.comment.post.id,
            verdict=verdict,
        )
        status, _, feed_id = self._set_verdict(
            keys=[
                self.keys.record(site_id, record_id),
                self.keys.pending(),
                self.keys.review(site_id),
                self.keys.feed(site_id),
                self.keys.claims(),
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
            ],
        )
        return int(status) == 1, _s(feed_id)

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

    def count_in_window(
        self, site_id: str, author_key: str, window_seconds: float, member: str
    ) -> int:
        return int(
            self._flood(
                keys=[self.keys.flood(site_id, author_key)],
                args=[repr(time.time()), window_seconds, member],
            )
        )

    def note_content(self, site_id: str, digest: str, record_id: str, ttl_seconds: int) -> int:
        """Count one more comment with this content digest; returns how many have been seen."""
        key = self.keys.content_seen(site_id, digest)
        pipe = self.r.pipeline(transaction=True)
        pipe.sadd(key, record_id)
        pipe.expire(key, ttl_seconds)
        pipe.scard(key)
        return int(pipe.execute()[2])

    def recent_fingerprints(self, site_id: str) -> list[tuple[str, int]]:
        return [
            (rid, int(fp))
            for rid, _, fp in (
                _s(x).partition(":") for x in self.r.lrange(self.keys.fingerprints(site_id), 0, -1)
            )
        ]

    def add_fingerprint(self, site_id: str, record_id: str, fingerprint: int, keep: int) -> None:
        key = self.keys.fingerprints(site_id)
        pipe = self.r.pipeline(transaction=True)
        pipe.lpush(key, f"{record_id}:{fingerprint}")
        pipe.ltrim(key, 0, keep - 1)
        pipe.expire(key, self.retention_seconds)
        pipe.execute()

    def reputation(self, site_id: str, author_key: str) -> dict[str, int]:
        raw = self.r.hgetall(self.keys.reputation(site_id, author_key))
        return {_s(k): int(v) for k, v in raw.items()}

    def bump_reputation(self, site_id: str, author_key: str, field: str, by: int = 1) -> None:
        key = self.keys.reputation(site_id, author_key)
        pipe = self.r.pipeline(transaction=True)
        pipe.hincrby(key, field, by)
        pipe.expire(key, self.retention_seconds * 12)
        pipe.execute()

    # -- deliveries ------------------------------------------------------------------------

    def create_delivery(
        self, site_id: str, record_id: str, version: int, event: str, body: bytes
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

    def create_session(self, session_id: str, account_id: str, ttl_seconds: int) -> None:
        self.r.set(self.keys.session(session_id), account_id, ex=max(1, ttl_seconds))

    def session_account(self, session_id: str, ttl_seconds: int) -> str | None:
        """The account of a live session, whose idle timeout starts again (GETEX: one step)."""
        raw = self.r.getex(self.keys.session(session_id), ex=max(1, ttl_seconds))
        return None if raw is None else _s(raw)

    def delete_session(self, session_id: str) -> None:
        self.r.delete(self.keys.session(session_id))

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

"""The one settings object, read from ``COMMENTGUARD_*`` environment variables once.

Nothing else in the project reads ``os.environ``; everything takes a :class:`Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "PREFIX",
    "Settings",
    "SettingsError",
    "get_settings",
    "read_or_create_secret",
    "settings_from_env",
]

PREFIX = "COMMENTGUARD_"


class SettingsError(ValueError):
    """An environment variable holds a value of the wrong kind."""


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of every Commentguard process."""

    redis_url: str = ""
    """Redis to use. Empty: ``commentguard up`` starts an embedded Redis under ``data_dir``."""
    key_prefix: str = "cg"
    """Namespace of every Redis key."""
    data_dir: Path = Path("var")
    """Local state: embedded Redis data, generated admin token, promoted models."""
    admin_token: str = ""
    """Bearer token for ``/v1/admin``. Empty: the admin API answers 401 to everyone."""
    public_url: str = "http://127.0.0.1:8000"
    """Where the api is reachable; used to build status URLs."""
    retention_days: int = 30
    """Records not under review expire after this many days."""
    max_body_bytes: int = 64 * 1024
    """Largest accepted request body."""
    max_content_chars: int = 20_000
    """Longest accepted comment text."""
    max_wait_seconds: float = 10.0
    """Upper bound for ``?wait=`` on intake."""
    rate_site_per_minute: int = 600
    """Default comments per minute per site (token bucket refill); sites may override."""
    rate_ip_per_minute: int = 20
    """Default comments per minute per author IP."""
    rate_email_per_minute: int = 20
    """Default comments per minute per author email."""
    rate_burst_factor: float = 1.0
    """Bucket capacity as a multiple of the per-minute rate (1.0: a minute's worth)."""
    allow_private_callbacks: bool = False
    """Allow callback URLs on loopback/private/link-local addresses (tests, intranets)."""
    callback_timeout_seconds: float = 10.0
    """Timeout of one callback attempt."""
    callback_max_attempts: int = 8
    """Attempts before a delivery goes to the dead-letter set."""
    callback_backoff_base_seconds: float = 5.0
    """First retry delay; doubles each attempt, with jitter."""
    callback_backoff_cap_seconds: float = 3600.0
    """Longest delay between two attempts."""
    score_batch_size: int = 200
    """How many comments a worker scores in one model call."""
    pending_redrive_seconds: int = 120
    """A record still ``pending`` after this long is queued again by the sweep."""
    claim_timeout_seconds: float = 120.0
    """A batch claimed by a worker that has not finished after this long is put back."""
    sweep_interval_seconds: float = 15.0
    """How often beat runs the sweep."""
    retention_sweep_seconds: float = 3600.0
    """How often beat removes what outlived ``retention_days`` and has no TTL of its own."""
    heartbeat_seconds: float = 5.0
    """How often each worker process reports it is alive; it counts as gone after 3 misses."""
    metrics_token: str = ""
    """Bearer token required by ``GET /metrics``. Empty: the endpoint is open."""
    models_dir: Path = Path("var/models")
    """Deployment models folder (promoted retrained versions); shipped artifacts otherwise."""
    model_reload_seconds: float = 5.0
    """How often workers look for a newly promoted model version."""
    worker_concurrency: int = 2
    """Celery worker processes started by ``commentguard up``/``worker``."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For is believed (comma-separated IPs, or * behind a trusted
    load balancer); the client address feeds the login rate limit and the logs."""
    log_level: str = "INFO"
    """Level of the JSON logs."""
    session_secret: str = ""
    """Key that signs moderator session cookies and CSRF tokens. Empty: one is generated and kept
    in ``data_dir/session-secret`` (every api process sharing ``data_dir`` uses the same)."""
    session_hours: float = 12.0
    """How long a moderator stays logged in without activity."""
    session_max_hours: float = 168.0
    """How long a session lasts at most, however active: then the moderator logs in again, so
    a stolen cookie cannot be kept alive by using it."""
    undo_seconds: int = 300
    """How long a moderator can undo a decision."""
    retrain_interval_hours: float = 0.0
    """How often beat runs ``retrain`` from moderator feedback. 0: never (run it by hand)."""
    retrain_data_dir: Path = Path("data")
    """Base training data that ``retrain`` merges moderator feedback into."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Unrecognised ``COMMENTGUARD_*`` variables, kept so typos can be reported."""

    def redis_url_or_fail(self) -> str:
        if not self.redis_url:
            raise SettingsError(
                "COMMENTGUARD_REDIS_URL is not set. Start everything with `commentguard up` "
                "(it starts an embedded Redis), or point COMMENTGUARD_REDIS_URL at a Redis server."
            )
        return self.redis_url


def read_or_create_secret(path: Path, prefix: str = "") -> str:
    """A secret kept in ``path`` (mode 0600), made on first use; safe when processes race."""
    import secrets

    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = prefix + secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def _convert(name: str, raw: str, kind: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind_name == "bool":
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind_name == "int":
            return int(raw)
        if kind_name == "float":
            return float(raw)
        if kind_name == "Path":
            return Path(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind_name}") from None
    return raw


def settings_from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    known = {f.name: f.type for f in fields(Settings) if f.name != "extra"}
    values: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for key, raw in env.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        if name in known:
            values[name] = _convert(name, raw, known[name])
        else:
            extra[key] = raw
    values.update(overrides)
    if "models_dir" not in values and "data_dir" in values:
        values["models_dir"] = Path(values["data_dir"]) / "models"
    return Settings(**values, extra=extra)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return settings_from_env()

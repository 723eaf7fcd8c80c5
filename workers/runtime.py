"""Per-process worker state: the store, the HTTP client and the models, made at worker start."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from service.settings import Settings, get_settings
from service.store import Store
from service.tasks_client import TaskClient
from workers.delivery import PinnedTransport
from workers.heartbeat import Heartbeat

if TYPE_CHECKING:
    from models.registry import Scorer

__all__ = ["ModelProvider", "Runtime", "runtime"]

log = logging.getLogger("commentguard.worker")


@dataclass
class ModelProvider:
    """The scorer in use, reloaded when a newer version is promoted (no restart needed)."""

    settings: Settings
    _scorer: Any = None
    _version: str = ""
    _checked_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> Scorer:
        from models.registry import load_scorer, promoted_version

        with self._lock:
            self._version = promoted_version(self.settings.models_dir)
            self._scorer = load_scorer(self.settings.models_dir)
            self._checked_at = time.monotonic()
            log.info("models loaded", extra={"model_version": self._scorer.version})
            return self._scorer  # type: ignore[no-any-return]

    def get(self) -> Scorer:
        if self._scorer is None:
            return self.load()
        if time.monotonic() - self._checked_at >= self.settings.model_reload_seconds:
            from models.registry import promoted_version

            self._checked_at = time.monotonic()
            if promoted_version(self.settings.models_dir) != self._version:
                return self.load()
        return self._scorer  # type: ignore[no-any-return]

    @property
    def loaded(self) -> bool:
        return self._scorer is not None

    @property
    def version(self) -> str:
        """Version of the models in use; empty until they are loaded."""
        return "" if self._scorer is None else str(self._scorer.version)


@dataclass
class Runtime:
    settings: Settings
    _store: Store | None = None
    _http: httpx.Client | None = None
    _tasks: TaskClient | None = None
    models: ModelProvider | None = None
    heartbeat: Heartbeat | None = None

    def start(self) -> None:
        self.models = ModelProvider(self.settings)
        try:
            self.models.load()
        except Exception:  # scoring reports the failure per comment and holds them
            log.exception("models failed to load at start")
        models = self.models
        self.heartbeat = Heartbeat(
            lambda: self.store,
            self.settings.heartbeat_seconds,
            lambda: models.version,
            lambda: models.loaded,
        ).start()

    @property
    def store(self) -> Store:
        if self._store is None:
            s = self.settings
            self._store = Store.from_url(s.redis_url_or_fail(), s.key_prefix, s.retention_days)
        return self._store

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                transport=PinnedTransport(self.settings.allow_private_callbacks),
                follow_redirects=False,
                timeout=self.settings.callback_timeout_seconds,
                headers={"User-Agent": "Commentguard-Webhook/1"},
                trust_env=False,
            )
        return self._http

    @property
    def tasks(self) -> TaskClient:
        if self._tasks is None:
            self._tasks = TaskClient(self.settings.redis_url_or_fail())
        return self._tasks

    def model_provider(self) -> ModelProvider:
        if self.models is None:
            self.models = ModelProvider(self.settings)
        return self.models

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None
        if self._http is not None:
            self._http.close()
            self._http = None


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime

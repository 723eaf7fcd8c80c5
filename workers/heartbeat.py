"""Worker liveness: each worker process refreshes a short-lived key in Redis from a thread.

``/ready`` and ``/metrics`` count the fresh ones, so a stopped (or hung) worker drops out within
three heartbeat intervals, and a clean stop removes its key at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from service.store import Store, WorkerBeat

__all__ = ["Heartbeat"]

log = logging.getLogger("commentguard.heartbeat")


class Heartbeat:
    """Refreshes this process's heartbeat every ``interval`` seconds until :meth:`stop`."""

    def __init__(
        self,
        store: Callable[[], Store],
        interval: float,
        model_version: Callable[[], str],
        models_loaded: Callable[[], bool],
    ) -> None:
        self._store = store
        self.interval = max(0.1, interval)
        self._model_version = model_version
        self._models_loaded = models_loaded
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        store = self._store()
        store.heartbeat(
            WorkerBeat(
                id=self.id,
                at=time.time(),
                pid=os.getpid(),
                host=socket.gethostname(),
                models_loaded=self._models_loaded(),
                model_version=self._model_version(),
            ),
            ttl_seconds=self.interval * 3,
        )
        # the last-hour chart of queue depth needs a sample even when nobody watches /ops
        store.sample_queue_depth(store.queue_length())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:  # Redis away for a moment: try again next interval
                log.warning("heartbeat failed", exc_info=True)
            self._stop.wait(self.interval)

    def start(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        try:
            self._store().drop_heartbeat(self.id)
        except Exception:
            log.warning("could not remove the heartbeat", exc_info=True)

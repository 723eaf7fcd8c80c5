"""Real processes for tests and benchmarks: Redis, api servers, Celery workers, a receiver."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from service.cli import api_argv, beat_argv, worker_argv
from service.embedded_redis import free_port
from service.settings import settings_from_env

ROOT = Path(__file__).resolve().parent.parent


def service_env(redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for child processes: this one's, minus stray COMMENTGUARD_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTGUARD_")}
    env.update(
        COMMENTGUARD_REDIS_URL=redis_url,
        COMMENTGUARD_ADMIN_TOKEN="test-admin-token",
        COMMENTGUARD_ALLOW_PRIVATE_CALLBACKS="true",
        COMMENTGUARD_CALLBACK_BACKOFF_BASE_SECONDS="0.2",
        COMMENTGUARD_CALLBACK_BACKOFF_CAP_SECONDS="1",
        COMMENTGUARD_CALLBACK_MAX_ATTEMPTS="3",
        COMMENTGUARD_CALLBACK_TIMEOUT_SECONDS="3",
        COMMENTGUARD_DATA_DIR=str(data_dir),
        COMMENTGUARD_MODELS_DIR=str(data_dir / "models"),
        COMMENTGUARD_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    """A child process whose output goes to a log file, stopped with :meth:`stop`."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.process is None:
            return
        if not self.alive():
            self.process.wait()
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        self.stop(signal.SIGKILL)


def start_api(env: dict[str, str], log_dir: Path, port: int | None = None) -> tuple[Proc, str]:
    port = port or free_port()
    proc = Proc("api", api_argv("127.0.0.1", port), env, log_dir / f"api-{port}.log").start()
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _healthy(url), 30, f"api on {url}", proc)
    return proc, url


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_worker(
    env: dict[str, str], log_dir: Path, name: str = "w1", concurrency: int = 2
) -> Proc:
    settings = settings_from_env(env)
    argv = [*worker_argv(settings, concurrency), "-n", f"{name}@%h"]
    proc = Proc("worker", argv, env, log_dir / f"worker-{name}.log").start()
    wait_until(lambda: "ready." in proc.log(), 120, f"worker {name}", proc)
    return proc


def start_beat(env: dict[str, str], log_dir: Path) -> Proc:
    settings = settings_from_env(env)
    return Proc("beat", beat_argv(settings), env, log_dir / "beat.log").start()


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, proc: Proc | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and not proc.alive():
            proc.stop()
            raise RuntimeError(
                f"{proc.name} exited while waiting for {what}:\n{proc.log()[-3000:]}"
            )
        time.sleep(0.05)
    tail = ""
    if proc is not None:
        tail = proc.log()[-3000:]
        proc.stop()
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}\n{tail}")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server standing in for a blog's callback endpoint.

    ``responses`` is consumed one status per request; when it runs out, ``default_status``.
    """

    default_status: int = 200
    responses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: http.server.ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                with owner._lock:
                    owner.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                        )
                    )
                    status = owner.responses.pop(0) if owner.responses else owner.default_status
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        wait_until(lambda: len(self.received) >= count, timeout, f"{count} callbacks")
        return list(self.received)

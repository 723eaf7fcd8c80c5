"""Fixtures that start the real parts: a Redis server, api processes, Celery workers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.embedded_redis import EmbeddedRedis
from service.store import Store
from tests.procs import Proc, Receiver, service_env, start_api, start_worker

ADMIN_TOKEN = "test-admin-token"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("commentguard")


@pytest.fixture(scope="session")
def redis_server(run_dir: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(run_dir / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def env(redis_server: EmbeddedRedis, run_dir: Path) -> dict[str, str]:
    return service_env(redis_server.url, run_dir)


@pytest.fixture(scope="session")
def store(redis_server: EmbeddedRedis) -> Store:
    return Store.from_url(redis_server.url)


@pytest.fixture(scope="session")
def api(env: dict[str, str], run_dir: Path) -> Iterator[str]:
    proc, url = start_api(env, run_dir / "logs")
    yield url
    proc.stop()


@pytest.fixture(scope="session")
def worker(env: dict[str, str], run_dir: Path) -> Iterator[Proc]:
    proc = start_worker(env, run_dir / "logs")
    yield proc
    proc.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@dataclass
class SiteHandle:
    """A site made for one test, with a client that sends its API key."""

    id: str
    api_key: str
    webhook_secret: str
    client: httpx.Client

    def post_comment(self, body: dict[str, Any], **params: Any) -> httpx.Response:
        return self.client.post("/v1/comments", json=body, params=params)


@pytest.fixture
def admin(api: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=api, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def make_site(api: str, admin: httpx.Client) -> Iterator[Any]:
    clients: list[httpx.Client] = []

    def make(callback_url: str = "", config: dict[str, Any] | None = None) -> SiteHandle:
        response = admin.post(
            "/v1/admin/sites",
            json={
                "name": f"test-{secrets.token_hex(3)}",
                "url": "https://blog.example",
                "callback_url": callback_url,
                "config": config or {},
            },
        )
        assert response.status_code == 201, response.text
        data = response.json()
        client = httpx.Client(
            base_url=api, headers={"Authorization": f"Bearer {data['api_key']}"}, timeout=30
        )
        clients.append(client)
        return SiteHandle(data["id"], data["api_key"], data["webhook_secret"], client)

    yield make
    for client in clients:
        client.close()


def comment(text: str = "Thanks, this was a useful write-up.", **fields: Any) -> dict[str, Any]:
    """A comment body with a fresh id."""
    return {"id": fields.pop("id", secrets.token_hex(6)), "content": text, **fields}


from tests.moderators import make_moderator  # noqa: E402, F401  (a fixture, shared by test folders)

"""Nothing is lost: comments reach a verdict through stopped and killed workers and a Redis restart.

These tests own their Redis, api, worker and beat, so stopping them disturbs no other test.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.embedded_redis import EmbeddedRedis
from service.store import Store
from tests.conftest import ADMIN_TOKEN, comment
from tests.procs import Proc, service_env, start_api, start_beat, start_worker, wait_until


class Stack:
    """An api, a Redis and the workers this module starts and stops at will."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.redis = EmbeddedRedis(root / "redis").start()
        self.env = service_env(
            self.redis.url,
            root,
            COMMENTGUARD_CLAIM_TIMEOUT_SECONDS="2",
            COMMENTGUARD_SWEEP_INTERVAL_SECONDS="1",
            COMMENTGUARD_PENDING_REDRIVE_SECONDS="3",
        )
        self.api, self.url = start_api(self.env, root / "logs")
        self.store = Store.from_url(self.redis.url)
        self.workers: list[Proc] = []
        self.clients: list[httpx.Client] = []

    def worker(self) -> Proc:
        proc = start_worker(self.env, self.root / "logs", name=secrets.token_hex(3))
        self.workers.append(proc)
        return proc

    def site(self) -> httpx.Client:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        data = httpx.post(
            f"{self.url}/v1/admin/sites",
            json={"name": "recovery", "url": "https://blog.example"},
            headers=admin,
        ).json()
        client = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {data['api_key']}"}, timeout=30
        )
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.store.r.close()
        for proc in self.workers:
            proc.stop()
        self.api.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("recovery"))
    yield s
    s.close()


def post_many(client: httpx.Client, count: int) -> list[str]:
    ids = []
    for i in range(count):
        response = client.post("/v1/comments", json=comment(f"Comment {i}: a thought on the post"))
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    return ids


def statuses(client: httpx.Client, ids: list[str]) -> list[str]:
    return [client.get(f"/v1/comments/{i}").json()["status"] for i in ids]


def all_decided(client: httpx.Client, ids: list[str]) -> bool:
    return "pending" not in statuses(client, ids)


def test_comments_accepted_with_no_worker_are_scored_when_one_starts(stack: Stack) -> None:
    # given no worker is running
    client = stack.site()
    # when comments arrive
    ids = post_many(client, 20)
    # then they wait, stored and pending
    time.sleep(0.5)
    assert set(statuses(client, ids)) == {"pending"}
    # and a worker that starts later scores every one
    worker = stack.worker()
    wait_until(lambda: all_decided(client, ids), 60, "verdicts", worker)
    worker.stop()


def test_comments_survive_a_redis_restart(stack: Stack) -> None:
    # given pending comments and no worker
    client = stack.site()
    ids = post_many(client, 10)
    # when Redis restarts (AOF replays what was written)
    stack.redis.restart()
    # (/ready itself stays 503 here: it also wants a live worker, and none runs yet)
    wait_until(
        lambda: httpx.get(f"{stack.url}/ready").json()["checks"]["redis"] == "ok", 30, "redis back"
    )
    # then the records are still there and a worker scores them
    assert set(statuses(client, ids)) == {"pending"}
    worker = stack.worker()
    wait_until(lambda: all_decided(client, ids), 60, "verdicts", worker)
    worker.stop()


def test_a_batch_held_by_a_dead_worker_is_put_back(stack: Stack) -> None:
    # given comments that a worker claimed and then died holding (no worker runs now)
    client = stack.site()
    ids = post_many(client, 5)
    claimed = stack.store.claim_batch(100)
    assert {c.record_id for c in claimed} >= set(ids)
    # when a worker and beat run again
    beat = start_beat(stack.env, stack.root / "logs")
    worker = stack.worker()
    try:
        # then the sweep returns the expired claims to the queue and they are scored
        wait_until(lambda: all_decided(client, ids), 60, "verdicts", worker)
    finally:
        beat.stop()
        worker.stop()


def test_a_worker_killed_mid_drain_loses_nothing(stack: Stack) -> None:
    # given a backlog and a worker scoring it
    client = stack.site()
    ids = post_many(client, 300)
    worker = stack.worker()
    wait_until(lambda: stack.store.pending_count() < 290, 60, "scoring to start", worker)
    # when the worker is killed outright (SIGKILL, no clean shutdown)
    worker.kill()
    # then a new worker with beat finishes every comment, each with exactly one verdict
    beat = start_beat(stack.env, stack.root / "logs")
    replacement = stack.worker()
    try:
        wait_until(lambda: all_decided(client, ids), 90, "verdicts", replacement)
    finally:
        beat.stop()
        replacement.stop()
    versions: list[Any] = [
        client.get(f"/v1/comments/{i}").json()["verdict"]["version"] for i in ids
    ]
    assert set(versions) == {1}

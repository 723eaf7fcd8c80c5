"""``/ready`` and the queue gauges while a worker stops and starts again.

This module runs its own Redis, api and worker, so stopping the worker does not disturb the
session worker the other tests share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.embedded_redis import EmbeddedRedis
from service.store import Store
from tests.conftest import comment
from tests.integration.test_ops_metrics import scrape, value
from tests.procs import Proc, service_env, start_api, start_worker, wait_until

METRICS_TOKEN = "test-metrics-token"


@dataclass
class Deployment:
    url: str
    env: dict[str, str]
    logs: Path
    store: Store
    admin: httpx.Client
    worker: Proc | None = None

    def ready(self) -> httpx.Response:
        return httpx.get(f"{self.url}/ready", timeout=10)

    def metrics(self) -> Any:
        return scrape(self.url, Authorization=f"Bearer {METRICS_TOKEN}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("ready")
    redis_server = EmbeddedRedis(root / "redis").start()
    env = service_env(
        redis_server.url,
        root,
        COMMENTGUARD_HEARTBEAT_SECONDS="0.5",
        COMMENTGUARD_METRICS_TOKEN=METRICS_TOKEN,
    )
    api, url = start_api(env, root / "logs")
    admin = httpx.Client(
        base_url=url, headers={"Authorization": "Bearer test-admin-token"}, timeout=30
    )
    found = Deployment(url, env, root / "logs", Store.from_url(redis_server.url), admin)
    found.worker = start_worker(env, root / "logs", name="ready1", concurrency=1)
    yield found
    if found.worker is not None:
        found.worker.stop()
    admin.close()
    api.stop()
    redis_server.stop()


def _site(deployment: Deployment) -> httpx.Client:
    response = deployment.admin.post(
        "/v1/admin/sites", json={"name": "ready", "url": "https://blog.example"}
    )
    assert response.status_code == 201, response.text
    return httpx.Client(
        base_url=deployment.url,
        headers={"Authorization": f"Bearer {response.json()['api_key']}"},
        timeout=30,
    )


def test_metrics_token_is_required_when_configured(deployment: Deployment) -> None:
    assert httpx.get(f"{deployment.url}/metrics").status_code == 401
    wrong = httpx.get(f"{deployment.url}/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert value(deployment.metrics(), "commentguard_dead_letters") == 0


def test_ready_follows_the_worker_and_queues_show_the_backlog(deployment: Deployment) -> None:
    # given a running worker: ready, and it says so
    wait_until(lambda: deployment.ready().status_code == 200, 30, "ready")
    body = deployment.ready().json()
    assert body["checks"] == {"redis": "ok", "workers": "ok", "models": "ok"}
    assert body["workers_alive"] == 1
    assert body["model_versions"]
    site = _site(deployment)

    # when the worker stops
    assert deployment.worker is not None
    deployment.worker.stop()
    # then /ready answers 503 and says a worker is missing
    response = wait_until(lambda: (r := deployment.ready()).status_code == 503 and r, 10, "unready")
    assert response.json()["status"] == "unready"
    assert response.json()["checks"]["redis"] == "ok"
    assert "no worker heartbeat" in response.json()["checks"]["workers"]
    assert value(deployment.metrics(), "commentguard_workers_alive") == 0

    # when comments arrive while no worker runs
    ids = []
    for i in range(3):
        reply = site.post("/v1/comments", json=comment(f"Waiting in line, number {i}."))
        assert reply.status_code == 202
        ids.append(reply.json()["id"])
    # then /metrics shows them waiting, and how long the oldest has waited
    samples = wait_until(
        lambda: (
            (m := deployment.metrics())
            and value(m, "commentguard_pending_oldest_age_seconds") > 0.2
            and m
        ),
        10,
        "an aging backlog",
    )
    assert value(samples, "commentguard_queue_depth", queue="score") == 3
    assert value(samples, "commentguard_pending_records") == 3
    assert value(samples, "commentguard_queue_depth", queue="scoring") >= 1
    assert value(samples, "commentguard_queue_oldest_age_seconds", queue="scoring") > 0
    assert value(samples, "commentguard_queue_oldest_age_seconds", queue="score") > 0.2
    # and the admin API lists them as stuck, oldest first
    stuck = deployment.admin.get("/v1/admin/stuck", params={"older_than": 0}).json()
    assert [row["record_id"] for row in stuck] == ids

    # when the worker starts again
    deployment.worker = start_worker(deployment.env, deployment.logs, name="ready2", concurrency=1)
    # then /ready is ready again and the backlog drains to a verdict for each comment
    wait_until(lambda: deployment.ready().status_code == 200, 30, "ready again")
    for record_id in ids:
        wait_until(
            lambda rid=record_id: site.get(f"/v1/comments/{rid}").json().get("verdict"),
            30,
            f"verdict of {record_id}",
        )
    samples = deployment.metrics()
    assert value(samples, "commentguard_queue_depth", queue="score") == 0
    assert value(samples, "commentguard_pending_records") == 0
    assert value(samples, "commentguard_workers_alive") >= 1
    site.close()


def test_stuck_records_are_redriven_on_request(deployment: Deployment) -> None:
    # given a record left pending with nothing queued for it (its queue entry was lost)
    site = _site(deployment)
    assert deployment.worker is not None
    deployment.worker.stop()
    record_id = site.post("/v1/comments", json=comment("Lost in the queue")).json()["id"]
    store = deployment.store
    store.r.delete(store.keys.score_queue())
    assert store.queue_length() == 0
    (row,) = deployment.admin.get("/v1/admin/stuck", params={"older_than": 0}).json()
    # when an operator re-drives it
    reply = deployment.admin.post("/v1/admin/stuck/redrive", json={"members": [row["member"]]})
    # then it is queued again, and scored once a worker runs
    assert reply.json() == {"redriven": 1}
    assert store.queue_length() == 1
    deployment.worker = start_worker(deployment.env, deployment.logs, name="ready3", concurrency=1)
    wait_until(lambda: site.get(f"/v1/comments/{record_id}").json().get("verdict"), 30, "verdict")
    site.close()

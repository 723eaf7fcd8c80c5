"""``/metrics`` and the dead-letter admin API after known workloads (shared api and worker)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.store import Store
from tests.conftest import comment
from tests.procs import Receiver, wait_until

pytestmark = pytest.mark.usefixtures("worker")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api: str, **headers: str) -> Samples:
    response = httpx.get(f"{api}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every series of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_metrics_count_a_known_workload(api: str, make_site: Any, receiver: Receiver) -> None:
    # given a site allowed 4 comments a minute, whose blog receives callbacks
    site = make_site(callback_url=receiver.url, config={"rate_limits": {"site_per_minute": 4}})
    before = scrape(api)
    # when it posts 3 comments, repeats one, sends a bad body, and then goes over its limit
    bodies = [comment(f"Thanks for part {i} of the series.") for i in range(3)]
    for body in bodies:
        assert site.post_comment(body).status_code == 202
    assert site.post_comment(bodies[0]).headers["idempotent-replayed"] == "true"
    assert site.post_comment({"id": "x", "content": ""}).status_code == 422
    assert site.post_comment(comment("one too many")).status_code == 429
    hooks = receiver.wait_for(3)
    decisions = [h.json()["verdict"]["decision"] for h in hooks]

    # then /metrics counts every outcome for this site, and the verdicts by decision
    def settled() -> Samples | None:
        samples = scrape(api)
        delivered = value(
            samples, "commentguard_callback_attempts_total", site=site.id, outcome="delivered"
        )
        return samples if delivered == 3 else None

    samples = wait_until(settled, 20, "3 delivered callbacks in /metrics")
    comments = "commentguard_comments_total"
    assert value(samples, comments, site=site.id, outcome="accepted") == 3
    assert value(samples, comments, site=site.id, outcome="duplicate") == 1
    assert value(samples, comments, site=site.id, outcome="invalid") == 1
    assert value(samples, comments, site=site.id, outcome="rate_limited") == 1
    for decision in set(decisions):
        assert value(
            samples, "commentguard_verdicts_total", site=site.id, decision=decision
        ) == decisions.count(decision)
    assert total(samples, "commentguard_verdicts_total", site=site.id) == 3
    assert value(samples, "commentguard_callback_failures_total", site=site.id) == 0
    # and the latency histograms grew by at least these 3 verdicts
    latency = "commentguard_verdict_latency_seconds_count"
    assert value(samples, latency) - value(before, latency) >= 3
    assert value(samples, "commentguard_verdict_latency_seconds_bucket", le="+Inf") == value(
        samples, latency
    )
    assert value(samples, "commentguard_scoring_duration_seconds_count") >= 1
    # and the worker is alive, with the model version it scores with
    assert value(samples, "commentguard_workers_alive") >= 1
    versions = {dict(ls).get("model_version") for (n, ls) in samples if n.endswith("_info")}
    assert {h.json()["verdict"]["model_version"] for h in hooks} <= versions


def test_failing_receiver_makes_a_dead_letter_that_redrive_delivers(
    api: str, make_site: Any, receiver: Receiver, admin: httpx.Client, store: Store
) -> None:
    # given a blog whose callback endpoint fails every time
    receiver.default_status = 503
    site = make_site(callback_url=receiver.url)
    # when a comment is scored and every delivery attempt fails (3 attempts in tests)
    body = comment("Is the recipe gluten free?")
    site.client.post("/v1/comments", json=body, headers={"X-Request-Id": "req-dl1"})

    def dead() -> Samples | None:
        samples = scrape(api)
        return samples if value(samples, "commentguard_dead_letters_total", site=site.id) else None

    samples = wait_until(dead, 30, "a dead letter in /metrics")
    # then /metrics shows the attempts, the failures and the dead letter
    attempts = "commentguard_callback_attempts_total"
    assert value(samples, attempts, site=site.id, outcome="retry") == 2
    assert value(samples, attempts, site=site.id, outcome="dead") == 1
    assert value(samples, "commentguard_callback_failures_total", site=site.id) == 3
    assert value(samples, "commentguard_dead_letters") >= 1
    # and the admin API lists it with its last error
    (letter,) = [d for d in admin.get("/v1/admin/dead-letters").json() if d["site_id"] == site.id]
    assert letter["last_error"] == "HTTP 503"
    assert letter["attempts"] == 3
    assert letter["request_id"] == "req-dl1"

    # when the blog is fixed and an operator re-drives the delivery
    receiver.default_status = 200
    path = f"/v1/admin/dead-letters/{site.id}/{letter['delivery_id']}/redrive"
    assert admin.post(path).json() == {"redriven": 1}
    # then the blog receives it, with the request id of the original comment
    hooks = receiver.wait_for(4)
    assert hooks[-1].headers["x-commentguard-delivery"] == letter["delivery_id"]
    assert hooks[-1].headers["x-request-id"] == "req-dl1"
    # and it is delivered, no longer dead, with its earlier attempts kept
    wait_until(
        lambda: store.get_delivery(site.id, letter["delivery_id"]).status == "delivered",  # type: ignore[union-attr]
        10,
        "delivered status",
    )
    history = store.delivery_attempts(site.id, letter["delivery_id"])
    assert [a.outcome for a in history] == ["retry", "retry", "dead", "delivered"]
    assert all(d["site_id"] != site.id for d in admin.get("/v1/admin/dead-letters").json())
    # and a second re-drive of the same delivery finds nothing to do
    assert admin.post(path).status_code == 404


def test_purge_removes_a_dead_letter(
    make_site: Any, receiver: Receiver, admin: httpx.Client, store: Store
) -> None:
    # given a dead letter (a 410 is final: no retries)
    receiver.default_status = 410
    site = make_site(callback_url=receiver.url)
    site.post_comment(comment("Old post, still relevant."))

    def letters() -> list[dict[str, Any]]:
        rows = admin.get("/v1/admin/dead-letters").json()
        return [d for d in rows if d["site_id"] == site.id]

    (letter,) = wait_until(letters, 30, "a dead letter")
    assert letter["last_error"] == "HTTP 410 (final)"
    # when an operator purges it
    response = admin.delete(f"/v1/admin/dead-letters/{site.id}/{letter['delivery_id']}")
    # then it is gone, with its delivery record
    assert response.json() == {"purged": 1}
    assert letters() == []
    assert store.get_delivery(site.id, letter["delivery_id"]) is None


def test_ops_admin_api_needs_the_admin_token(api: str) -> None:
    for path in ("/v1/admin/dead-letters", "/v1/admin/ops/summary", "/v1/admin/stuck"):
        assert httpx.get(f"{api}{path}").status_code == 401
    assert httpx.post(f"{api}/v1/admin/dead-letters/redrive").status_code == 401

"""Erasing a site's data, retention, JSON logs with one request id, and `commentguard status`."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.embedded_redis import EmbeddedRedis
from service.schemas import CommentIn, DeliveryAttempt, SiteConfig, Verdict
from service.settings import settings_from_env
from service.store import Store
from tests.conftest import SiteHandle, comment
from tests.procs import ROOT, Proc, Receiver, wait_until
from workers.maintenance import retention

pytestmark = pytest.mark.usefixtures("worker")


def decided(site: SiteHandle, record_id: str) -> dict[str, Any]:
    return wait_until(  # type: ignore[no-any-return]
        lambda: (d := site.client.get(f"/v1/comments/{record_id}").json()).get("verdict") and d,
        30,
        f"verdict of {record_id}",
    )


def test_erasing_a_site_removes_its_comments_and_keeps_other_sites(
    make_site: Any, admin: httpx.Client, store: Store
) -> None:
    # given two sites with decided comments
    alice, bob = make_site(), make_site()
    mine = [alice.post_comment(comment(f"Alice's reader {i}")).json()["id"] for i in range(2)]
    theirs = bob.post_comment(comment("Bob's reader")).json()["id"]
    for record_id in mine:
        decided(alice, record_id)
    decided(bob, theirs)
    assert list(store.scan_keys(f"{{{alice.id}}}:rec:*"))
    # and moderator labels of both in the shared feedback stream
    for site in (alice, bob):
        label = {"site_id": site.id, "record_id": "r", "text": "personal words"}
        store.r.xadd(store.keys.feedback(), {"e": json.dumps(label)})
    # when an admin erases the first site's data
    response = admin.delete(f"/v1/admin/sites/{alice.id}/data")
    # then its comments, feed and signals are gone, and only the site itself is left
    assert response.status_code == 200, response.text
    assert response.json()["keys"] > 0
    for record_id in mine:
        assert alice.client.get(f"/v1/comments/{record_id}").status_code == 404
    assert alice.client.get("/v1/verdicts").json()["events"] == []
    assert list(store.scan_keys(f"{{{alice.id}}}:*")) == [store.keys.site(alice.id)]
    # and the site keeps working for new comments
    later = alice.post_comment(comment("after the erasure"))
    assert later.status_code == 202
    decided(alice, later.json()["id"])
    # and its moderator labels are gone from the feedback stream, the other site's are not
    labelled = {e["site_id"] for _, e in store.feedback_entries(limit=100_000)}
    assert alice.id not in labelled
    assert bob.id in labelled
    # and the other site is untouched
    assert bob.client.get(f"/v1/comments/{theirs}").status_code == 200
    # when the site itself is erased too
    admin.delete(f"/v1/admin/sites/{alice.id}/data", params={"include_site": "true"})
    # then its API key stops working and nothing of it is left
    assert alice.client.get("/v1/verdicts").status_code == 401
    assert list(store.scan_keys(f"{{{alice.id}}}:*")) == []
    assert admin.get(f"/v1/admin/sites/{alice.id}").status_code == 404
    assert admin.delete(f"/v1/admin/sites/{alice.id}/data").status_code == 404


def test_retention_trims_what_has_no_ttl(redis_server: EmbeddedRedis) -> None:
    # given (under a prefix of its own) a site with a feed entry and a dead letter
    store = Store.from_url(redis_server.url, prefix=f"ret{secrets.token_hex(3)}")
    settings = settings_from_env({}, retention_days=30)
    site, _ = store.create_site("old", "https://old.example", "", SiteConfig())
    accepted = store.accept_comment(site.id, CommentIn(id="c1", content="hello"), "req")
    record = store.get_record(site.id, accepted.record_id)
    assert record is not None
    verdict = Verdict(
        decision="approve",
        status="approved",
        scores={},
        reasons=[],
        decided_by="auto",
        decided_at=time.time(),
        version=1,
    )
    assert store.set_verdict(record, verdict, 0) is not None
    delivery = store.create_delivery(site.id, record.id, 1, "verdict.created", b"{}")
    store.record_attempt(
        site.id, delivery, DeliveryAttempt(attempt=1, at=time.time(), duration_ms=1), "dead"
    )
    assert store.dead_letter_count() == 1
    store.r.xadd(store.keys.feedback(), {"e": json.dumps({"site_id": site.id, "text": "x"})})
    # when retention runs now: nothing is old enough
    assert not any(retention(store, settings).values())
    # when it runs 31 days later
    removed = retention(store, settings, now=time.time() + 31 * 86400)
    # then the feed entry and the dead letter are gone
    assert removed == {
        "feed_entries": 1,
        "feedback_entries": 1,
        "dead_letters": 1,
        "pending_index": 0,
    }
    assert store.feed(site.id)[0] == []
    assert store.dead_letter_count() == 0
    assert store.get_delivery(site.id, delivery) is None
    assert store.feedback_entries() == []


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_request_id_follows_a_comment_and_no_text_is_logged(
    make_site: Any, receiver: Receiver, worker: Proc, api: str, run_dir: Path
) -> None:
    # given a comment with a request id and a text that must not reach the logs
    site = make_site(callback_url=receiver.url)
    request_id = f"req-{secrets.token_hex(6)}"
    marker = f"secret-words-{secrets.token_hex(6)}"
    response = site.client.post(
        "/v1/comments",
        json=comment(f"My private note {marker}"),
        headers={"X-Request-Id": request_id},
    )
    assert response.headers["x-request-id"] == request_id
    # when it is scored and its verdict delivered
    (hook,) = receiver.wait_for(1)
    # then the callback carries the request id
    assert hook.headers["x-request-id"] == request_id

    # and the api and worker logs are JSON lines that mention it on the way
    def logged() -> list[dict[str, Any]] | None:
        lines = _json_lines(worker.log())
        messages = {e["message"] for e in lines if e.get("request_id") == request_id}
        return lines if {"verdict stored", "callback attempt"} <= messages else None

    worker_lines = wait_until(logged, 10, "worker log lines with the request id")
    port = api.rsplit(":", 1)[1]
    api_log = (run_dir / "logs" / f"api-{port}.log").read_text()
    api_lines = _json_lines(api_log)
    assert any(
        e["message"] == "comment accepted" and e.get("request_id") == request_id for e in api_lines
    )
    # and neither the comment text nor the site's key or secret appear anywhere
    for text in (api_log, worker.log()):
        assert marker not in text
        assert site.api_key not in text
        assert site.webhook_secret not in text
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in worker_lines)


def test_status_command_prints_the_numbers(env: dict[str, str], make_site: Any) -> None:
    # given a site with a comment decided
    site = make_site()
    decided(site, site.post_comment(comment("Counting this one.")).json()["id"])
    # when an operator runs `commentguard status`
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "status"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # then it shows readiness, queues, workers and totals on one screen
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "READY" in out
    for part in ("score", "scoring", "delivery", "dead letters", "workers alive", "verdicts:"):
        assert part in out
    assert len(out.splitlines()) <= 40
    # and --json gives the same numbers to scripts
    as_json = subprocess.run(
        [sys.executable, "-m", "service.cli", "status", "--json"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    data = json.loads(as_json.stdout)
    assert data["ready"]["ok"] is True
    assert data["status"]["totals"]["accepted"] >= 1
    assert len(data["last_hour"]) == 60

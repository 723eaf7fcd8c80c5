"""The backbone end to end: real Redis, real api process, real Celery worker, real receiver."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import pytest

from service.store import Store
from tests.conftest import SiteHandle, comment
from tests.procs import Receiver, start_api, wait_until

pytestmark = pytest.mark.usefixtures("worker")


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a blog does with X-Commentguard-Signature (the README shows the same)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def wait_verdict(site: SiteHandle, record_id: str, timeout: float = 30) -> dict[str, Any]:
    def decided() -> dict[str, Any] | None:
        data: dict[str, Any] = site.client.get(f"/v1/comments/{record_id}").json()
        return data if data.get("verdict") else None

    return wait_until(decided, timeout, f"verdict of {record_id}")  # type: ignore[no-any-return]


def test_post_verdict_signed_callback(make_site: Any, receiver: Receiver) -> None:
    # given a site whose blog receives callbacks
    site = make_site(callback_url=receiver.url)
    # when the blog posts a comment
    response = site.post_comment(comment("Lovely photos of the harbour, thanks for sharing."))
    # then it is accepted at once and pending
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["status"] == "pending"
    assert accepted["status_url"].endswith(f"/v1/comments/{accepted['id']}")
    # and the blog receives a verdict it can verify with its webhook secret
    (hook,) = receiver.wait_for(1)
    assert verify_signature(
        site.webhook_secret, hook.headers["x-commentguard-signature"], hook.body
    )
    assert not verify_signature("whsec_wrong", hook.headers["x-commentguard-signature"], hook.body)
    assert hook.headers["x-commentguard-event"] == "verdict.created"
    assert hook.headers["x-commentguard-delivery"].startswith("d_")
    event = hook.json()
    assert event["record_id"] == accepted["id"]
    assert event["verdict"]["decision"] in {"approve", "hold", "spam", "reject"}
    assert event["verdict"]["version"] == 1
    # and the stored record shows the same verdict
    record = wait_verdict(site, accepted["id"])
    assert record["verdict"]["decision"] == event["verdict"]["decision"]


def test_repeat_is_idempotent(make_site: Any) -> None:
    # given a comment already posted
    site = make_site()
    body = comment("First!")
    first = site.post_comment(body).json()
    # when the blog posts the same comment id again (a retried webhook)
    again = site.post_comment(body)
    # then it gets the existing record back and nothing new is created
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first["id"]
    assert again.json()["duplicate"] is True
    wait_verdict(site, first["id"])
    time.sleep(0.5)
    feed = site.client.get("/v1/verdicts").json()
    assert [e["record_id"] for e in feed["events"]] == [first["id"]]


def test_wait_returns_the_verdict(make_site: Any) -> None:
    site = make_site()
    response = site.post_comment(comment("Nice one."), wait=10)
    assert response.status_code == 200
    assert response.json()["verdict"]["status"] in {"approved", "held", "spam", "rejected"}


def test_wait_is_capped_and_answers_202_when_late(api: str, make_site: Any, store: Store) -> None:
    # given the queue is paused by claiming everything first is not possible with a live worker,
    # so wait=0 shows the immediate answer
    site = make_site()
    response = site.post_comment(comment("Quick"), wait=0)
    assert response.status_code == 202
    assert site.post_comment(comment("x"), wait=9999).status_code == 400


def test_verdict_feed_pages_with_a_cursor(make_site: Any) -> None:
    site = make_site()
    ids = [site.post_comment(comment(f"Comment number {i}")).json()["id"] for i in range(5)]
    for record_id in ids:
        wait_verdict(site, record_id)
    first = site.client.get("/v1/verdicts", params={"limit": 3}).json()
    assert len(first["events"]) == 3
    assert first["has_more"] is True
    rest = site.client.get("/v1/verdicts", params={"cursor": first["cursor"]}).json()
    assert rest["has_more"] is False
    seen = [e["record_id"] for e in first["events"] + rest["events"]]
    assert sorted(seen) == sorted(ids)


def test_a_site_cannot_read_another_sites_comment(make_site: Any) -> None:
    alice, bob = make_site(), make_site()
    record_id = alice.post_comment(comment("mine")).json()["id"]
    assert bob.client.get(f"/v1/comments/{record_id}").status_code == 404
    assert alice.client.get(f"/v1/comments/{record_id}").status_code == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"content": "no id"}, {"id"}),
        ({"id": "1"}, {"content"}),
        ({"id": "", "content": 5, "author": {"name": 3}, "bogus": 1},
         {"id", "content", "author.name", "bogus"}),
        ({"id": "1", "content": "x", "content_format": "pdf"}, {"content_format"}),
        ({"id": "1", "content": "x", "author": {"email": "e" * 400}}, {"author.email"}),
        ({"id": "1", "content": "x", "signals": {"time_to_submit_ms": -5}},
         {"signals.time_to_submit_ms"}),
        ({"id": "1", "content": "   "}, {"content"}),
        ({"id": "1", "content": "x" * 20001}, {"content"}),
        ([1, 2], {"$"}),
    ],
)  # fmt: skip
def test_bad_bodies_name_each_field(make_site: Any, body: Any, fields: set[str]) -> None:
    site = make_site()
    response = site.client.post("/v1/comments", json=body)
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["error"] == "invalid_fields"
    assert {d["field"] for d in data["details"]} == fields


def test_not_json_oversized_and_unauthenticated(api: str, make_site: Any) -> None:
    site = make_site()
    bad = site.client.post(
        "/v1/comments", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.json()["details"][0]["field"] == "$"
    huge = site.client.post("/v1/comments", content=b"x" * 70_000)
    assert huge.status_code == 413
    assert huge.json()["error"] == "body_too_large"
    anonymous = httpx.post(f"{api}/v1/comments", json=comment())
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized"
    wrong = httpx.post(
        f"{api}/v1/comments", json=comment(), headers={"Authorization": "Bearer cgk_nope"}
    )
    assert wrong.status_code == 401


def test_rate_limit_is_shared_by_two_api_processes(
    api: str, env: dict[str, str], run_dir: Any, make_site: Any
) -> None:
    # given two api processes and a site allowed 6 comments a minute
    second, second_url = start_api(env, run_dir / "logs")
    try:
        site = make_site(config={"rate_limits": {"site_per_minute": 6}})
        clients = [
            site.client,
            httpx.Client(base_url=second_url, headers=dict(site.client.headers), timeout=30),
        ]
        # when 20 comments arrive, alternating between the two processes
        codes = []
        retry_after = []
        for i in range(20):
            response = clients[i % 2].post("/v1/comments", json=comment(f"Comment {i}"))
            codes.append(response.status_code)
            if response.status_code == 429:
                retry_after.append(int(response.headers["retry-after"]))
                assert response.json()["error"] == "rate_limited"
        # then exactly one bucket's worth gets through, the rest are told when to retry
        assert codes.count(202) == 6
        assert codes.count(429) == 14
        assert all(1 <= s <= 10 for s in retry_after)
        clients[1].close()
    finally:
        second.stop()


def test_rate_limit_per_author_ip(make_site: Any) -> None:
    site = make_site(config={"rate_limits": {"ip_per_minute": 2}})
    author = {"ip": "203.0.113.9"}
    codes = [site.post_comment(comment(f"c{i}", author=author)).status_code for i in range(4)]
    assert codes == [202, 202, 429, 429]
    other = site.post_comment(comment("other ip", author={"ip": "203.0.113.10"}))
    assert other.status_code == 202


def test_receiver_failing_twice_then_succeeding_gets_the_verdict(
    make_site: Any, receiver: Receiver, store: Store
) -> None:
    # given a blog whose endpoint fails twice before it recovers
    receiver.responses = [500, 503]
    site = make_site(callback_url=receiver.url)
    record_id = site.post_comment(comment("Retry me")).json()["id"]
    # then the third attempt delivers the same verdict
    hooks = receiver.wait_for(3)
    assert len({h.headers["x-commentguard-delivery"] for h in hooks}) == 1
    assert all(h.json()["record_id"] == record_id for h in hooks)
    (delivery,) = store.record_deliveries(site.id, record_id)
    wait_until(
        lambda: store.get_delivery(site.id, delivery.id).status == "delivered", 10, "delivered"
    )  # type: ignore[union-attr]
    attempts = store.delivery_attempts(site.id, delivery.id)
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert [a.outcome for a in attempts] == ["retry", "retry", "delivered"]


def test_receiver_always_failing_ends_in_dead_letters(
    make_site: Any, receiver: Receiver, store: Store
) -> None:
    receiver.default_status = 502
    site = make_site(callback_url=receiver.url)
    record_id = site.post_comment(comment("Nobody home")).json()["id"]
    receiver.wait_for(3)

    def dead() -> bool:
        return any(d.record_id == record_id for d in store.dead_letters(limit=1000))

    wait_until(dead, 10, "dead letter")
    (delivery,) = store.record_deliveries(site.id, record_id)
    assert delivery.status == "dead"
    assert delivery.attempts == 3
    time.sleep(1.5)
    assert len(receiver.received) == 3  # no attempt after the last


def test_a_4xx_is_final(make_site: Any, receiver: Receiver, store: Store) -> None:
    receiver.default_status = 410
    site = make_site(callback_url=receiver.url)
    record_id = site.post_comment(comment("Gone")).json()["id"]
    receiver.wait_for(1)
    wait_until(
        lambda: any(d.record_id == record_id for d in store.dead_letters(limit=1000)), 10, "dead"
    )
    time.sleep(1.0)
    assert len(receiver.received) == 1


def test_private_callback_urls_are_refused_by_default(run_dir: Any) -> None:
    from service.netguard import CallbackURLError, check_callback_url

    for url in (
        "http://127.0.0.1/x",
        "http://10.0.0.8/",
        "http://[::1]/",
        "http://169.254.169.254/",
    ):
        with pytest.raises(CallbackURLError):
            check_callback_url(url, allow_private=False)
    check_callback_url("https://93.184.215.14/hook", allow_private=False)


def test_admin_api_needs_the_token(api: str, admin: httpx.Client) -> None:
    assert httpx.get(f"{api}/v1/admin/sites").status_code == 401
    assert (
        httpx.get(f"{api}/v1/admin/sites", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    created = admin.post(
        "/v1/admin/sites", json={"name": "x", "url": "ftp://x", "callback_url": "gopher://x"}
    )
    assert created.status_code == 422
    assert {d["field"] for d in created.json()["details"]} == {"url", "callback_url"}


def test_rotating_the_key_revokes_the_old_one(
    api: str, make_site: Any, admin: httpx.Client
) -> None:
    site = make_site()
    assert site.post_comment(comment()).status_code == 202
    rotated = admin.post(f"/v1/admin/sites/{site.id}/rotate-key").json()
    assert site.post_comment(comment()).status_code == 401
    fresh = httpx.post(
        f"{api}/v1/comments",
        json=comment(),
        headers={"Authorization": f"Bearer {rotated['api_key']}"},
    )
    assert fresh.status_code == 202


def test_repeats_floods_and_known_spammers_are_flagged(make_site: Any) -> None:
    # given one author posting the same long text again and again
    site = make_site()
    text = "Earn money from home with this one simple trick that the banks hate, ask me how"
    author = {"email": "repeat@example.org"}
    verdicts = [
        site.post_comment(comment(text + "!" * i, author=author), wait=10).json()["verdict"]
        for i in range(7)
    ]
    codes = [{r["code"] for r in v["reasons"]} for v in verdicts]
    # then the repeats are duplicates, the burst is a flood
    assert "DUPLICATE_CONTENT" not in codes[0]
    assert all("DUPLICATE_CONTENT" in c for c in codes[1:])
    assert "FLOOD" in codes[6]
    # and a near copy with a word changed is caught as a near duplicate
    near = site.post_comment(
        comment(text.replace("banks", "lenders"), author={"email": "other@example.org"}), wait=10
    ).json()["verdict"]
    assert {r["code"] for r in near["reasons"]} & {"NEAR_DUPLICATE", "DUPLICATE_CONTENT"}


def test_site_modes_premoderate_and_shadow(make_site: Any) -> None:
    held = make_site(config={"mode": "premoderate"})
    clean = held.post_comment(comment("Lovely photos, thank you."), wait=10).json()
    assert clean["verdict"]["decision"] == "hold"
    shadow = make_site(config={"mode": "shadow", "words": {"block": ["casino"]}})
    blocked = shadow.post_comment(comment("Best casino bonus here"), wait=10).json()
    assert blocked["verdict"]["decision"] == "approve"
    assert "would have been reject" in blocked["verdict"]["note"]
    assert "BLOCKED_WORD" in {r["code"] for r in blocked["verdict"]["reasons"]}

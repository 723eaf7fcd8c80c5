"""Security and robustness of the api against a real api process and Redis: bad input gets a
clear 4xx naming the field, never a 500 or a misleading 503; access stays within a moderator's
sites."""

from __future__ import annotations

import re
from typing import Any

import httpx
import msgspec
import pytest

from service.settings import settings_from_env
from service.store import Store
from workers.delivery import PinnedTransport, attempt_delivery


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/moderation/queue", {"sort": "score", "cursor": "YWJj"}),  # base64 of "abc"
        ("/v1/moderation/queue", {"sort": "score", "cursor": "LTE"}),  # base64 of "-1"
        ("/v1/moderation/queue", {"cursor": "YWJj"}),
        ("/v1/moderation/audit", {"cursor": "abc"}),
        ("/v1/moderation/audit", {"cursor": "99999999999999999999-1"}),
    ],
)
def test_a_bad_cursor_is_a_400_naming_the_cursor(
    make_site: Any, make_moderator: Any, path: str, query: dict[str, str]
) -> None:
    site = make_site()
    mod = make_moderator([site.id])
    response = mod.token_client.get(path, params=query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad_request"
    assert [d["field"] for d in body["details"]] == ["cursor"]


@pytest.mark.parametrize("cursor", ["abc", "1-", "99999999999999999999999-1", "-"])
def test_a_bad_verdict_feed_cursor_is_a_400_not_store_unavailable(
    make_site: Any, cursor: str
) -> None:
    site = make_site()
    response = site.client.get("/v1/verdicts", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert [d["field"] for d in response.json()["details"]] == ["cursor"]


def test_a_password_change_ends_the_sessions_of_the_old_password(
    admin: httpx.Client, make_moderator: Any
) -> None:
    # given a moderator logged in twice (two browsers), perhaps one of them an intruder
    mod = make_moderator()
    first, second = mod.login(), mod.login()
    assert first.get("/v1/moderation/me").status_code == 200
    # when an admin sets a new password
    changed = admin.patch(f"/v1/admin/moderators/{mod.id}", json={"password": "new-pw-12345"})
    assert changed.status_code == 200, changed.text
    # then neither session works any more, and the new password logs in
    assert first.get("/v1/moderation/me").status_code == 401
    assert second.get("/v1/moderation/me").status_code == 401
    mod.password = "new-pw-12345"
    assert mod.login().get("/v1/moderation/me").status_code == 200


@pytest.mark.parametrize("bad_url", ["http://127.0.0.1:9/\x00hook", "http://xn--zz.example/"])
def test_a_callback_url_httpx_cannot_use_ends_as_a_dead_letter(
    store: Store, make_site: Any, bad_url: str
) -> None:
    # given a site whose stored callback URL httpx refuses (stored before the check knew)
    site = make_site(callback_url="https://blog.example/hook")
    store.modify_site(site.id, lambda s: msgspec.structs.replace(s, callback_url=bad_url))
    delivery_id = store.create_delivery(site.id, "c1", 1, "verdict.created", b"{}")
    # when the worker tries it, then it is a final, recorded failure, not a crashed task
    settings = settings_from_env({"COMMENTGUARD_ALLOW_PRIVATE_CALLBACKS": "true"})
    with httpx.Client(transport=PinnedTransport(True)) as client:
        outcome = attempt_delivery(store, settings, client, site.id, delivery_id)
    assert outcome.status == "dead"
    attempts = store.delivery_attempts(site.id, delivery_id)
    assert attempts[-1].error.startswith("refused")


def test_password_guessing_is_rate_limited(make_moderator: Any) -> None:
    mod = make_moderator()
    client = mod.opened_client()
    client.headers["X-Forwarded-For"] = "198.51.100.77"  # its own IP bucket (uvicorn trusts
    page = client.get("/login")  # X-Forwarded-For from 127.0.0.1), so others' logins go on
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    codes = [
        client.post(
            "/login", data={"email": mod.email, "password": f"guess-{n:04d}", "csrf_token": csrf}
        ).status_code
        for n in range(8)
    ]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429] * 3

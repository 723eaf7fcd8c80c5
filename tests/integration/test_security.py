"""Security and robustness of the api against a real api process and Redis: bad input gets a
clear 4xx naming the field, never a 500 or a misleading 503; access stays within a moderator's
sites."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


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

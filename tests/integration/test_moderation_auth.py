"""Accounts, login, sessions, CSRF and API tokens, against a real api process and Redis."""

from __future__ import annotations

import re
from typing import Any

import httpx


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(
    api: str, make_site: Any, make_moderator: Any
) -> None:
    # given a moderator of one site
    site = make_site()
    mod = make_moderator([site.id])
    # when they log in with the form
    client = mod.opened_client()
    page = client.get("/login")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        data={"email": mod.email, "password": mod.password, "csrf_token": csrf, "next": "/x"},
    )
    # then they are sent on with a signed, HttpOnly, SameSite=Lax cookie
    assert response.status_code == 303
    assert response.headers["location"] == "/x"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cg_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie or "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; https sets it
    me = client.get("/v1/moderation/me").json()
    assert me["account"]["email"] == mod.email
    assert me["via"] == "session"
    assert "password_hash" not in me["account"]
    # when they log out (with the CSRF token), the session is gone on the server too
    session = client.cookies["cg_session"]
    out = client.post("/logout", data={"csrf_token": me["csrf_token"]})
    assert out.status_code == 303
    replay = httpx.get(f"{api}/v1/moderation/me", cookies={"cg_session": session})
    assert replay.status_code == 401


def test_wrong_password_tampered_cookie_and_bad_next_are_refused(
    api: str, make_moderator: Any
) -> None:
    mod = make_moderator(is_admin=True)
    client = mod.opened_client()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    wrong = client.post(
        "/login", data={"email": mod.email, "password": "nope-nope", "csrf_token": csrf}
    )
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.text
    assert "cg_session" not in client.cookies
    # a login form posted without its CSRF cookie (cross-site) is refused
    forged = httpx.post(
        f"{api}/login", data={"email": mod.email, "password": mod.password, "csrf_token": "x"}
    )
    assert forged.status_code == 403
    # an open redirect in next= is replaced by the queue
    ok = client.post(
        "/login",
        data={
            "email": mod.email,
            "password": mod.password,
            "csrf_token": csrf,
            "next": "//evil.example/",
        },
    )
    assert ok.headers["location"] == "/moderate"
    # a cookie whose signature does not match is ignored
    session = client.cookies["cg_session"]
    tampered = session[:-2] + ("aa" if not session.endswith("aa") else "bb")
    assert httpx.get(f"{api}/v1/moderation/me", cookies={"cg_session": tampered}).status_code == 401


def test_state_changes_with_the_cookie_need_the_csrf_token(api: str, make_moderator: Any) -> None:
    # given a logged-in moderator
    mod = make_moderator(is_admin=True)
    client = mod.login()
    del client.headers["X-CSRF-Token"]
    # when a request that changes state comes with the cookie but no CSRF token (another site)
    response = client.post("/logout")
    # then it is refused and the session still works
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert client.get("/v1/moderation/me").status_code == 200
    bad = client.post("/logout", headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 403


def test_api_tokens_and_disabled_accounts(
    api: str, admin: httpx.Client, make_moderator: Any
) -> None:
    mod = make_moderator(is_admin=True)
    me = mod.token_client.get("/v1/moderation/me")
    assert me.status_code == 200
    assert me.json()["via"] == "token"
    assert httpx.get(f"{api}/v1/moderation/me").status_code == 401
    assert (
        httpx.get(
            f"{api}/v1/moderation/me", headers={"Authorization": "Bearer cgm_unknown"}
        ).status_code
        == 401
    )
    # disabling the account revokes its tokens and blocks its password
    assert admin.patch(f"/v1/admin/moderators/{mod.id}", json={"disabled": True}).status_code == 200
    assert mod.token_client.get("/v1/moderation/me").status_code == 401


def test_admin_api_for_accounts(api: str, admin: httpx.Client, make_site: Any) -> None:
    site = make_site()
    created = admin.post(
        "/v1/admin/moderators", json={"email": "New.Person@Example.org", "sites": [site.id]}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "new.person@example.org"
    assert len(body["password"]) >= 12  # generated, shown once
    again = admin.post("/v1/admin/moderators", json={"email": "new.person@example.org"})
    assert again.status_code == 409
    unknown = admin.post("/v1/admin/moderators", json={"email": "a@b.c", "sites": ["s_nope"]})
    assert unknown.status_code == 422
    listed = admin.get("/v1/admin/moderators").json()
    assert any(a["email"] == "new.person@example.org" for a in listed)
    assert all("password" not in a and "password_hash" not in a for a in listed)
    assert httpx.get(f"{api}/v1/admin/moderators").status_code == 401

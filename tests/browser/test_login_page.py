"""The login page in a real browser: log in, see the session work, log out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_log_in_and_out(page: Any, api: str, make_moderator: Any) -> None:
    # given an admin account
    mod = make_moderator(is_admin=True)
    # when they log in through the form
    log_in(page, api, mod.email, mod.password, next_path="/v1/moderation/me")
    # then the session cookie is HttpOnly (scripts cannot read it) and the API knows them
    assert mod.email in page.content()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["cg_session"]["httpOnly"] is True
    assert cookies["cg_session"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("cg_session") == -1
    # a wrong password shows an error and no session
    page.context.clear_cookies()
    page.goto(f"{api}/login")
    page.fill("input[name=email]", mod.email)
    page.fill("input[name=password]", "definitely-wrong")
    page.click("button[type=submit]")
    assert "Wrong email or password" in page.inner_text(".error")
    assert page.console_errors == []

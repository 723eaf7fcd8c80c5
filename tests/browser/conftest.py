"""Playwright fixtures: Debian's Chromium, headless, and a page logged in as a moderator.

Chromium comes from apt (``make browser-deps``); Playwright's own browser download is not used.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is missing: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; console errors are collected."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    new_page = context.new_page()
    new_page.set_default_timeout(10_000)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    new_page.console_errors = errors
    yield new_page
    context.close()


def log_in(page: Any, api: str, email: str, password: str, next_path: str = "/moderate") -> None:
    """Fill the login form like a person does and wait to land on ``next_path``."""
    page.goto(f"{api}/login?next={next_path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{api}{next_path}*")


@pytest.fixture
def logged_in_page(page: Any, api: str, make_moderator: Any) -> Callable[..., Any]:
    """``logged_in_page(sites=[...], is_admin=False, next_path="/moderate")``: a page with a
    session of a new account; the account handle is at ``page.moderator``."""

    def make(
        sites: list[str] | None = None, is_admin: bool = False, next_path: str = "/moderate"
    ) -> Any:
        mod = make_moderator(sites, is_admin)
        log_in(page, api, mod.email, mod.password, next_path)
        page.moderator = mod
        return page

    return make

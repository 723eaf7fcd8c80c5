"""/moderate in Debian's Chromium: keyboard decisions reach the blog, payloads stay text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_moderation_api import held_site, post_held
from tests.integration.test_pipeline import verify_signature
from tests.procs import Receiver, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("worker")]

PAYLOADS = (
    '<script>window.__pwned = "script"</script>'
    "<img src=x onerror=\"window.__pwned = 'img'\">"
    "<a href=\"javascript:window.__pwned='link'\">click me</a>"
    "<svg onload=\"window.__pwned='svg'\"></svg>"
    " evil\u202egnp.exe"
)


def test_decide_held_comments_with_the_keyboard(
    logged_in_page: Any, make_site: Any, receiver: Receiver, tmp_path: Path
) -> None:
    # given a blog whose comments are all held, with two posted through the webhook
    site = held_site(make_site, receiver)
    page = logged_in_page(sites=[site.id])
    mod = page.moderator
    older, newer = post_held(
        mod.token_client,
        site,
        "Is the ferry running on Sundays?",
        "Great shots! Visit my profile for cheap followers",
        author={"name": "Sam", "email": "sam@example.org"},
        post={"title": "Harbour walk", "url": "https://blog.example/harbour"},
    )
    receiver.wait_for(2)
    # when the moderator opens the queue
    page.goto(f"{mod.api}/moderate")
    page.wait_for_selector(f'.item[data-record="{older}"]')
    assert page.locator(".item.current").get_attribute("data-record") == newer
    assert page.inner_text(f'[data-count-site="{site.id}"]') == "2"
    if os.environ.get("CG_SCREENSHOT_TO"):
        page.set_viewport_size({"width": 1100, "height": 640})
        page.keyboard.press("h")
        page.wait_for_selector("#detail:not([hidden]) .history")
        page.screenshot(path=str(tmp_path / "moderate.png"))
        shutil.copy(tmp_path / "moderate.png", os.environ["CG_SCREENSHOT_TO"])
        page.keyboard.press("Escape")
    # and moves down with j and approves with a
    page.keyboard.press("j")
    assert page.locator(".item.current").get_attribute("data-record") == older
    page.keyboard.press("a")
    # then the blog's receiver gets the new verdict, signed, naming the moderator
    hooks = receiver.wait_for(3)
    event = hooks[2].json()
    assert event["record_id"] == older
    assert event["event"] == "verdict.updated"
    assert event["verdict"]["status"] == "approved"
    assert event["verdict"]["decided_by"] == f"moderator:{mod.email}"
    assert verify_signature(
        site.webhook_secret, hooks[2].headers["x-commentguard-signature"], hooks[2].body
    )
    # and the item leaves the page and the count goes down
    page.wait_for_selector(f'.item[data-record="{older}"]', state="detached")
    wait_until(lambda: page.inner_text(f'[data-count-site="{site.id}"]') == "1", 5, "count 1")
    # when they select the other with x and mark the selection spam with s
    page.keyboard.press("x")
    assert page.locator(".item.selected").count() == 1
    page.keyboard.press("s")
    hooks = receiver.wait_for(4)
    assert hooks[3].json()["record_id"] == newer
    assert hooks[3].json()["verdict"]["status"] == "spam"
    page.wait_for_selector("#empty:not([hidden])")
    # and undo the approval with u: it is held again and the blog is told
    page.keyboard.press("u")
    hooks = receiver.wait_for(5)
    assert hooks[4].json()["record_id"] == older
    assert hooks[4].json()["verdict"]["status"] == "held"
    page.wait_for_selector(f'.item[data-record="{older}"]')
    # ? shows the keys
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert page.console_errors == []


def test_html_and_script_payloads_show_as_text_and_run_nothing(
    logged_in_page: Any, make_site: Any
) -> None:
    # given a held comment whose text, author and post are full of HTML/JS payloads
    site = held_site(make_site)
    page = logged_in_page(sites=[site.id])
    mod = page.moderator
    (record_id,) = post_held(
        mod.token_client,
        site,
        PAYLOADS,
        author={"name": "<img src=x onerror=\"window.__pwned='author'\">", "email": "x@example.org",
                "url": "javascript:window.__pwned='url'"},
        post={"title": "<script>window.__pwned='title'</script>", "url": "javascript:alert(1)",
              "excerpt": "<b onmouseover=\"window.__pwned='excerpt'\">hover</b>"},
    )  # fmt: skip
    # when the moderator looks at it, with its detail open, and hovers and clicks around
    page.goto(f"{mod.api}/moderate")
    item = page.wait_for_selector(f'.item[data-record="{record_id}"]')
    page.keyboard.press("h")
    page.wait_for_selector("#detail:not([hidden]) .history")
    item.hover()
    page.click(f'.item[data-record="{record_id}"] .text')
    page.wait_for_timeout(300)
    # then no script ran
    assert page.evaluate("window.__pwned") is None
    # and the payloads are there as text, with no element made from them
    text = page.inner_text(f'.item[data-record="{record_id}"] .text')
    assert '<script>window.__pwned = "script"</script>' in text
    assert "<img src=x onerror=" in text
    assert "[U+202E]" in text  # the RTL override is shown, not obeyed
    assert "<img src=x" in page.inner_text(".item .author")
    assert "<script>" in page.inner_text(".item .meta")
    assert page.locator("main img, main svg, main script, main iframe").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    # and the page forbids inline scripts
    response = page.goto(f"{mod.api}/moderate")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.console_errors == []


def test_works_on_a_phone_screen(
    browser: Any, api: str, make_site: Any, make_moderator: Any
) -> None:
    from tests.browser.conftest import log_in

    site = held_site(make_site)
    mod = make_moderator([site.id])
    post_held(mod.token_client, site, "A comment read on a small screen " * 8)
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    try:
        page = context.new_page()
        log_in(page, api, mod.email, mod.password)
        page.wait_for_selector(".item")
        # nothing wider than the screen, and the buttons are there to tap
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click(".item .approve")
        page.wait_for_selector("#empty:not([hidden])")
    finally:
        context.close()

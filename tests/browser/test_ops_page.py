"""The operations page in a real browser: a dead letter shows up and re-drive delivers it."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.store import Store
from tests.browser.conftest import log_in
from tests.conftest import comment
from tests.procs import ROOT, Receiver, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("worker")]


def _backfill_last_hour(store: Store, site_id: str) -> None:
    """For the README screenshot only: an hour of traffic history, written through the same
    store calls the api and workers use, with past timestamps."""
    now = time.time()
    for minutes_ago in range(59, 0, -1):
        at = now - minutes_ago * 60
        wave = 1 + math.sin(minutes_ago / 7)
        accepted = int(8 + 6 * wave)
        for _ in range(accepted):
            store.note_intake(site_id, "accepted", now=at)
        if minutes_ago % 9 == 0:
            store.note_intake(site_id, "rate_limited", now=at)
        latencies = [0.04 + 0.02 * (i % 5) for i in range(accepted - 1)] + [0.6 + wave / 2]
        verdicts = [
            (site_id, "approve" if i % 6 else "spam", lat) for i, lat in enumerate(latencies)
        ]
        store.note_scored(0.03, verdicts, now=at)
        store.sample_queue_depth(int(3 * wave) + (12 if 20 < minutes_ago < 24 else 0), now=at)


def test_dead_letter_redrive_from_the_ops_page(
    page: Any, api: str, make_site: Any, make_moderator: Any, receiver: Receiver, store: Store
) -> None:
    # given a blog whose callback endpoint is down (410: final, no retries) and a dead letter
    receiver.default_status = 410
    site = make_site(callback_url=receiver.url)
    site.post_comment(comment("Where was this photo taken?"))
    receiver.wait_for(1)
    admin = httpx.Client(base_url=api, headers={"Authorization": "Bearer test-admin-token"})

    def dead() -> list[Any]:
        rows = admin.get("/v1/admin/dead-letters").json()
        return [d for d in rows if d["site_id"] == site.id]

    (letter,) = wait_until(dead, 20, "a dead letter")
    screenshot = bool(os.environ.get("COMMENTGUARD_SCREENSHOT"))
    if screenshot:
        _backfill_last_hour(store, site.id)
    # when an admin logs in and opens /ops
    operator = make_moderator(is_admin=True)
    log_in(page, api, operator.email, operator.password, next_path="/ops")
    # then the page shows the dead letter with its last error, and the live numbers and charts
    row = page.locator(f"tr[data-delivery='{letter['delivery_id']}']")
    assert "HTTP 410 (final)" in row.inner_text()
    assert page.locator("#ready-badge").inner_text() == "Ready"
    assert page.locator("img[data-chart]").count() == 4
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    if screenshot:
        target = ROOT / "docs" / "ops.png"
        target.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(target), full_page=True)

    # when the blog recovers and the operator presses Re-drive on that row
    receiver.default_status = 200
    row.get_by_role("button", name="Re-drive").click()
    # then the page says so, the blog receives the verdict, and the row is gone
    page.wait_for_url(f"{api}/ops?msg=*")
    assert f"Re-driven {letter['delivery_id']}" in page.locator(".flash").inner_text()
    hooks = receiver.wait_for(2)
    assert hooks[-1].headers["x-commentguard-delivery"] == letter["delivery_id"]
    assert hooks[-1].json()["record_id"] == letter["record_id"]
    assert page.locator(f"tr[data-delivery='{letter['delivery_id']}']").count() == 0
    assert dead() == []
    assert page.console_errors == []
    # and the same session cannot post an action without the page's CSRF token
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    refused = httpx.post(f"{api}/ops/dead-letters/purge-all", cookies=cookies)
    assert refused.status_code == 403
    admin.close()


def test_ops_needs_an_admin_login(page: Any, api: str, make_moderator: Any) -> None:
    # given no session: the page sends people to log in
    page.goto(f"{api}/ops")
    assert page.url.startswith(f"{api}/login")
    # given a moderator who is not an admin: the page is refused
    mod = make_moderator(is_admin=False)
    log_in(page, api, mod.email, mod.password, next_path="/moderate")
    response = page.goto(f"{api}/ops")
    assert response.status == 403


def test_screenshot_is_small_enough() -> None:
    shot = Path(ROOT / "docs" / "ops.png")
    if not shot.exists():
        pytest.skip("no screenshot taken yet (COMMENTGUARD_SCREENSHOT=1 takes one)")
    assert shot.stat().st_size < 300_000

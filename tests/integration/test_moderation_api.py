"""The moderation API against a real api, worker, Redis and callback receiver."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from service.moderation import feedback_labels
from service.store import Store
from tests.conftest import SiteHandle, comment
from tests.integration.test_pipeline import verify_signature
from tests.procs import Receiver, wait_until

pytestmark = pytest.mark.usefixtures("worker")


def held_site(make_site: Any, receiver: Receiver | None = None) -> SiteHandle:
    """A site that holds everything (premoderate), so every comment reaches the queue."""
    return make_site(  # type: ignore[no-any-return]
        callback_url=receiver.url if receiver else "", config={"mode": "premoderate"}
    )


def post_held(client: httpx.Client, site: SiteHandle, *texts: str, **fields: Any) -> list[str]:
    ids = [site.post_comment(comment(t, **fields)).json()["id"] for t in texts]

    def all_held() -> bool:
        response = client.get("/v1/moderation/queue", params={"site": site.id, "limit": 200})
        assert response.status_code == 200, response.text
        page = response.json()
        return {i["record_id"] for i in page["items"]} >= set(ids)

    wait_until(all_held, 30, "comments held")
    return ids


def test_queue_lists_held_items_with_filters_sort_and_cursor(
    make_site: Any, make_moderator: Any
) -> None:
    # given a moderator and three held comments on their site
    site = held_site(make_site)
    mod = make_moderator([site.id])
    api = mod.token_client
    ids = post_held(
        api,
        site,
        "First comment about harbours",
        "Second comment about boats",
        "Third comment about harbours",
        author={"name": "Ann", "email": "ann@example.org"},
    )
    # when they list the queue
    page = api.get("/v1/moderation/queue", params={"site": site.id}).json()
    # then held items come newest first, with counts
    assert [i["record_id"] for i in page["items"]] == ids[::-1]
    assert page["counts"] == [
        {"site_id": site.id, "name": page["counts"][0]["name"], "held": 3, "approved": 0,
         "spam": 0, "rejected": 0}
    ]  # fmt: skip
    item = page["items"][0]
    assert item["status"] == "held"
    assert item["decided_by"] == "auto"
    assert set(item["scores"]) >= {"spam", "toxicity"}
    # text search, author filter, oldest-first and a cursor
    found = api.get("/v1/moderation/queue", params={"site": site.id, "q": "HARBOURS"}).json()
    assert {i["record_id"] for i in found["items"]} == {ids[0], ids[2]}
    by_author = api.get("/v1/moderation/queue", params={"author": "ann@example.org"}).json()
    assert len(by_author["items"]) == 3
    nobody = api.get("/v1/moderation/queue", params={"author": "bob@example.org"}).json()
    assert nobody["items"] == []
    first = api.get(
        "/v1/moderation/queue", params={"site": site.id, "sort": "oldest", "limit": 2}
    ).json()
    assert [i["record_id"] for i in first["items"]] == ids[:2]
    assert first["has_more"] is True
    rest = api.get(
        "/v1/moderation/queue",
        params={"site": site.id, "sort": "oldest", "limit": 2, "cursor": first["cursor"]},
    ).json()
    assert [i["record_id"] for i in rest["items"]] == ids[2:]
    assert rest["has_more"] is False
    by_score = api.get("/v1/moderation/queue", params={"site": site.id, "sort": "score"}).json()
    scores = [i["top_score"] for i in by_score["items"]]
    assert scores == sorted(scores, reverse=True)
    over = api.get(
        "/v1/moderation/queue", params={"site": site.id, "attribute": "spam", "min_score": 1.0}
    ).json()
    assert all(i["scores"]["spam"] >= 1.0 for i in over["items"])
    bad = api.get("/v1/moderation/queue", params={"status": "nope"})
    assert bad.status_code == 422


def test_item_detail_shows_findings_spans_history_and_deliveries(
    make_site: Any, make_moderator: Any, receiver: Receiver
) -> None:
    # given a site with a hold word and an author with an earlier comment
    site = make_site(
        callback_url=receiver.url, config={"mode": "premoderate", "words": {"hold": ["casino"]}}
    )
    mod = make_moderator([site.id])
    author = {"name": "Eve <b>", "email": "eve@example.org"}
    earlier, latest = post_held(
        mod.token_client, site, "An earlier remark", "Visit my casino <script>x</script>",
        author=author, post={"title": "Harbour walk", "url": "javascript:alert(1)"},
    )  # fmt: skip
    receiver.wait_for(2)
    # when the moderator opens the latest one
    detail = mod.token_client.get(f"/v1/moderation/items/{site.id}/{latest}").json()
    # then it shows the escaped comment, the finding's span, the author's history, deliveries
    assert detail["content_escaped"] == "Visit my casino &lt;script&gt;x&lt;/script&gt;"
    marked = [s for s in detail["item"]["segments"] if s.get("codes")]
    assert {"text": "casino", "codes": ["HOLD_WORD"]} in marked
    assert "".join(s["text"] for s in detail["item"]["segments"]) == detail["item"]["content"]
    assert detail["item"]["post_title"] == "Harbour walk"
    assert detail["item"]["post_url"] == ""  # javascript: links are never handed to pages
    assert [h["record_id"] for h in detail["history"]] == [earlier]
    assert detail["author"]["email"] == "eve@example.org"
    wait_until(
        lambda: (
            mod.token_client.get(f"/v1/moderation/items/{site.id}/{latest}").json()["deliveries"][
                0
            ]["status"]
            == "delivered"
        ),
        10,
        "delivered",
    )
    missing = mod.token_client.get(f"/v1/moderation/items/{site.id}/c_nope")
    assert missing.status_code == 404


def test_a_decision_updates_the_verdict_calls_back_and_is_audited(
    make_site: Any, make_moderator: Any, receiver: Receiver, store: Store
) -> None:
    # given a held comment whose blog receives callbacks
    site = held_site(make_site, receiver)
    mod = make_moderator([site.id])
    (record_id,) = post_held(
        mod.token_client, site, "Buy cheap watches now", author={"email": "w@example.org"}
    )
    receiver.wait_for(1)
    # when the moderator marks it spam with a note
    response = mod.token_client.post(
        f"/v1/moderation/items/{site.id}/{record_id}/decision",
        json={"action": "spam", "note": "watch spam", "expected_version": 1},
    )
    # then the verdict has a new version, names the moderator, and the blog hears of it, signed
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["status"] == "spam"
    assert decided["version"] == 2
    assert decided["decided_by"] == f"moderator:{mod.email}"
    hooks = receiver.wait_for(2)
    event = hooks[1].json()
    assert hooks[1].headers["x-commentguard-event"] == "verdict.updated"
    assert verify_signature(
        site.webhook_secret, hooks[1].headers["x-commentguard-signature"], hooks[1].body
    )
    assert event["verdict"]["status"] == "spam"
    assert event["verdict"]["version"] == 2
    assert event["verdict"]["note"] == "watch spam"
    # and the blog's own read agrees
    assert site.client.get(f"/v1/comments/{record_id}").json()["verdict"]["version"] == 2
    # and it left the held queue for the spam one, as a moderator decision
    held = mod.token_client.get("/v1/moderation/queue", params={"site": site.id}).json()
    assert record_id not in [i["record_id"] for i in held["items"]]
    spam = mod.token_client.get(
        "/v1/moderation/queue", params={"site": site.id, "status": "spam", "source": "moderator"}
    ).json()
    assert [i["record_id"] for i in spam["items"]] == [record_id]
    # and the audit log says who, what, when and the state before
    (entry,) = mod.token_client.get("/v1/moderation/audit", params={"site": site.id}).json()[
        "entries"
    ]
    assert entry["action"] == "spam"
    assert entry["by"] == f"moderator:{mod.email}"
    assert entry["previous"]["status"] == "held"
    assert entry["previous"]["decided_by"] == "auto"
    # and the author's reputation moved from held to spam
    from service.authors import author_key
    from service.schemas import Author

    rep = store.reputation(site.id, author_key(Author(email="w@example.org")))
    assert rep.get("held") == 0
    assert rep.get("spam") == 1
    # and a label went to the feedback stream with the model's scores
    labels = [x for x in feedback_labels(store) if x["record_id"] == record_id]
    assert labels[0]["labels"] == {"spam": 1}
    assert labels[0]["text"] == "Buy cheap watches now"
    assert "spam" in labels[0]["scores"]
    # a stale expected_version is refused
    stale = mod.token_client.post(
        f"/v1/moderation/items/{site.id}/{record_id}/decision",
        json={"action": "approve", "expected_version": 1},
    )
    assert stale.status_code == 409
    bad = mod.token_client.post(
        f"/v1/moderation/items/{site.id}/{record_id}/decision", json={"action": "delete"}
    )
    assert bad.status_code == 422


def test_moderators_see_and_act_only_on_their_sites(
    make_site: Any, make_moderator: Any, store: Store
) -> None:
    # given two sites with a held comment each, a moderator of the first and an admin
    mine, theirs = held_site(make_site), held_site(make_site)
    mod = make_moderator([mine.id])
    boss = make_moderator(is_admin=True)
    (my_id,) = post_held(mod.token_client, mine, "on my site")
    (their_id,) = post_held(boss.token_client, theirs, "on their site")
    api = mod.token_client
    # then the moderator's queue has only their site's items
    across = api.get("/v1/moderation/queue", params={"limit": 200}).json()
    assert my_id in {i["record_id"] for i in across["items"]}
    assert their_id not in {i["record_id"] for i in across["items"]}
    assert {c["site_id"] for c in across["counts"]} == {mine.id}
    # and every endpoint refuses the other site
    base = f"/v1/moderation/items/{theirs.id}/{their_id}"
    assert api.get("/v1/moderation/queue", params={"site": theirs.id}).status_code == 403
    assert api.get("/v1/moderation/counts", params={"site": theirs.id}).status_code == 403
    assert api.get(base).status_code == 403
    assert api.post(f"{base}/decision", json={"action": "approve"}).status_code == 403
    assert api.post(f"{base}/undo").status_code == 403
    bulk = api.post(
        "/v1/moderation/bulk",
        json={"action": "approve", "items": [{"site_id": theirs.id, "record_id": their_id}]},
    ).json()
    assert bulk["decided"] == 0
    assert bulk["results"][0]["ok"] is False
    assert api.get("/v1/moderation/audit", params={"site": theirs.id}).status_code == 403
    assert api.get(f"/v1/moderation/sites/{theirs.id}/word-suggestions").status_code == 403
    assert store.get_record(theirs.id, their_id).status == "held"  # type: ignore[union-attr]
    # while the admin sees both sites and can act on either
    admin_view = boss.token_client.get("/v1/moderation/queue", params={"limit": 200}).json()
    assert {my_id, their_id} <= {i["record_id"] for i in admin_view["items"]}
    assert boss.token_client.get(base).status_code == 200
    # and nobody without credentials gets anything
    assert httpx.get(f"{mod.api}/v1/moderation/queue").status_code == 401


def test_cookie_requests_without_the_csrf_token_are_refused(
    make_site: Any, make_moderator: Any
) -> None:
    # given a moderator logged in with a session cookie
    site = held_site(make_site)
    mod = make_moderator([site.id])
    (record_id,) = post_held(mod.token_client, site, "csrf target")
    browser = mod.login()
    url = f"/v1/moderation/items/{site.id}/{record_id}/decision"
    # when a state change arrives with the cookie but without the token (a forged request)
    forged = browser.post(url, json={"action": "approve"}, headers={"X-CSRF-Token": ""})
    wrong = browser.post(url, json={"action": "approve"}, headers={"X-CSRF-Token": "x" * 64})
    # then it is refused and nothing changes; reads need no token
    assert forged.status_code == 403
    assert wrong.status_code == 403
    assert browser.get("/v1/moderation/queue", headers={"X-CSRF-Token": ""}).status_code == 200
    for path in (f"/v1/moderation/items/{site.id}/{record_id}/undo", "/v1/moderation/bulk"):
        assert browser.post(path, json={}, headers={"X-CSRF-Token": ""}).status_code == 403
    # with the token it goes through
    ok = browser.post(url, json={"action": "approve"})
    assert ok.status_code == 200, ok.text


def test_undo_restores_the_previous_verdict_once(
    make_site: Any, make_moderator: Any, receiver: Receiver
) -> None:
    # given a held comment a moderator rejected by mistake
    site = held_site(make_site, receiver)
    mod = make_moderator([site.id])
    other = make_moderator([site.id])
    (record_id,) = post_held(mod.token_client, site, "A sharp but fair remark")
    base = f"/v1/moderation/items/{site.id}/{record_id}"
    decided = mod.token_client.post(f"{base}/decision", json={"action": "reject"}).json()
    assert decided["undo_until"] > 0
    # another moderator cannot undo it for them
    assert other.token_client.post(f"{base}/undo").status_code == 403
    # when they undo
    undone = mod.token_client.post(f"{base}/undo")
    # then the comment is held again (a new version, with the automatic verdict's author)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "held"
    assert undone.json()["version"] == 3
    assert undone.json()["decided_by"] == "auto"
    held = mod.token_client.get("/v1/moderation/queue", params={"site": site.id}).json()
    assert [i["record_id"] for i in held["items"]] == [record_id]
    # and the blog is told
    hooks = receiver.wait_for(3)
    assert [h.json()["verdict"]["status"] for h in hooks] == ["held", "rejected", "held"]
    # and a second undo has nothing to undo
    assert mod.token_client.post(f"{base}/undo").status_code == 409
    actions = [
        e["action"]
        for e in mod.token_client.get("/v1/moderation/audit", params={"site": site.id}).json()[
            "entries"
        ]
    ]
    assert actions == ["undo", "reject"]


def test_bulk_decisions_on_a_selection_and_on_a_filter(make_site: Any, make_moderator: Any) -> None:
    # given five held comments, two of them about a lottery
    site = held_site(make_site)
    mod = make_moderator([site.id])
    api = mod.token_client
    ids = post_held(
        api, site, "lottery win one", "lottery win two", "plain a", "plain b", "plain c"
    )
    # when the moderator approves a selection
    selection = api.post(
        "/v1/moderation/bulk",
        json={
            "action": "approve",
            "items": [{"site_id": site.id, "record_id": i} for i in ids[2:4]],
        },
    ).json()
    assert selection["decided"] == 2
    # and asks how many match a filter, then decides them with that count
    flt = {"site": site.id, "q": "lottery"}
    preview = api.post(
        "/v1/moderation/bulk", json={"action": "spam", "filter": flt, "dry_run": True}
    ).json()
    assert preview == {"count": 2, "decided": 0, "dry_run": True}
    stale = api.post(
        "/v1/moderation/bulk", json={"action": "spam", "filter": flt, "expected_count": 3}
    )
    assert stale.status_code == 409
    assert "2 comments match" in stale.json()["message"]
    done = api.post(
        "/v1/moderation/bulk", json={"action": "spam", "filter": flt, "expected_count": 2}
    ).json()
    # then exactly those are decided and one item stays held
    assert done["decided"] == 2
    counts = api.get("/v1/moderation/counts", params={"site": site.id}).json()
    assert counts[0]["held"] == 1
    assert counts[0]["approved"] == 2
    assert counts[0]["spam"] == 2
    assert api.post("/v1/moderation/bulk", json={"action": "spam"}).status_code == 422


def test_audit_export_and_word_suggestions(make_site: Any, make_moderator: Any) -> None:
    # given a moderator who marked three comments with the same odd word as spam
    site = held_site(make_site)
    mod = make_moderator([site.id])
    api = mod.token_client
    ids = post_held(
        api, site, "cheap zorbax deals", "more zorbax here", "zorbax again", "a lovely walk"
    )
    for record_id in ids[:3]:
        api.post(f"/v1/moderation/items/{site.id}/{record_id}/decision", json={"action": "spam"})
    api.post(f"/v1/moderation/items/{site.id}/{ids[3]}/decision", json={"action": "approve"})
    # then the word is suggested for the site's lists
    suggestions = api.get(f"/v1/moderation/sites/{site.id}/word-suggestions").json()
    assert {"word": "zorbax", "flagged": 3, "approved": 0} in suggestions
    assert "lovely" not in {s["word"] for s in suggestions}
    # and the audit log exports as JSON lines, oldest first
    export = api.get("/v1/moderation/audit/export", params={"site": site.id})
    assert export.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert [r["record_id"] for r in rows] == ids
    assert [r["action"] for r in rows] == ["spam", "spam", "spam", "approve"]


def test_cli_creates_moderators_and_exports_feedback(
    make_site: Any, make_moderator: Any, env: dict[str, str], tmp_path: Any
) -> None:
    import subprocess
    import sys

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    # given a decision that made a label
    site = held_site(make_site)
    mod = make_moderator([site.id])
    (record_id,) = post_held(mod.token_client, site, "Cheap pills, click here")
    mod.token_client.post(
        f"/v1/moderation/items/{site.id}/{record_id}/decision", json={"action": "spam"}
    )
    # when an operator creates a moderator and exports the labels from the command line
    created = cli("moderators", "create", "--email", "cli-mod@example.org", "--sites", site.id)
    assert created.returncode == 0, created.stderr
    assert "password:" in created.stdout
    token = cli("moderators", "token", "--email", "cli-mod@example.org")
    assert token.stdout.startswith("cgm_")
    assert cli("moderators", "create", "--email", "x@example.org").returncode == 2
    out = tmp_path / "labels.jsonl"
    assert cli("feedback", "export", "--out", str(out)).returncode == 0
    # then the label is there as one JSON line
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    mine = [r for r in rows if r["record_id"] == record_id]
    assert mine[0]["labels"] == {"spam": 1}
    assert mine[0]["text"] == "Cheap pills, click here"

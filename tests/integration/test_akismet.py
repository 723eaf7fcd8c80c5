"""The Akismet API as a blog plugin calls it: form posts, real api, real worker, real Redis."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from service.store import Store
from tests.conftest import SiteHandle

pytestmark = pytest.mark.usefixtures("worker")

BLOG = "https://blog.example"


def form(content: str, **fields: str) -> dict[str, str]:
    """A comment-check form as the WordPress plugin sends it (unique per call)."""
    return {
        "blog": BLOG,
        "user_ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "referrer": f"{BLOG}/harbour",
        "permalink": f"{BLOG}/harbour",
        "comment_type": "comment",
        "comment_author": f"Reader {secrets.token_hex(3)}",
        "comment_author_email": f"reader-{secrets.token_hex(3)}@example.org",
        "comment_content": content,
        "blog_lang": "en_us",
        "blog_charset": "UTF-8",
        **fields,
    }


def blatant_spam() -> dict[str, str]:
    return form(
        "CHEAP pills!!! http://bit.ly/cheap-pills http://tinyurl.com/pills-now "
        "http://goo.gl/free-pills buy now",
        comment_author="cheap pills http://bit.ly/x",
        honeypot_field_name="hp_website",
        hp_website="http://spam.example",
    )


def akismet(api: str, site: SiteHandle, path: str, data: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{api}/1.1/{path}", data={"api_key": site.api_key, **data}, timeout=30)


def test_verify_key_valid_and_invalid(api: str, make_site: Any) -> None:
    # given a site
    site = make_site()
    # when the plugin verifies its key, then it is valid
    good = httpx.post(f"{api}/1.1/verify-key", data={"key": site.api_key, "blog": BLOG})
    assert (good.status_code, good.text) == (200, "valid")
    # and a wrong key is invalid, with the reason in Akismet's debug header
    bad = httpx.post(f"{api}/1.1/verify-key", data={"key": "cgk_nope", "blog": BLOG})
    assert (bad.status_code, bad.text) == (200, "invalid")
    assert "not valid" in bad.headers["x-akismet-debug-help"]


def test_comment_check_ham_is_false(api: str, make_site: Any) -> None:
    # given a site
    site = make_site()
    # when the plugin checks an ordinary comment
    response = akismet(api, site, "comment-check", form("Lovely photos of the harbour works."))
    # then it is not spam, and the answer names the record it made
    assert (response.status_code, response.text) == (200, "false")
    assert "x-akismet-pro-tip" not in response.headers
    record_id = response.headers["x-akismet-guid"]
    assert site.client.get(f"/v1/comments/{record_id}").json()["verdict"]


def test_comment_check_blatant_spam_is_true_with_discard(api: str, make_site: Any) -> None:
    # given a site
    site = make_site()
    # when the plugin checks a comment with the honeypot filled and link shorteners
    response = akismet(api, site, "comment-check", blatant_spam())
    # then it is spam so plain that the blog may discard it
    assert (response.status_code, response.text) == (200, "true")
    assert response.headers["x-akismet-pro-tip"] == "discard"
    record = site.client.get(f"/v1/comments/{response.headers['x-akismet-guid']}").json()
    codes = {reason["code"] for reason in record["verdict"]["reasons"]}
    assert {"HONEYPOT", "LINK_SHORTENER"} <= codes


def test_the_same_form_twice_is_one_record(api: str, make_site: Any) -> None:
    # given a comment checked once
    site = make_site()
    data = form("A second look at the harbour plans.")
    first = akismet(api, site, "comment-check", data)
    # when the plugin checks it again (a retry)
    again = akismet(api, site, "comment-check", data)
    # then it is the same record with the same answer
    assert again.headers["x-akismet-guid"] == first.headers["x-akismet-guid"]
    assert again.text == first.text


def test_key_in_the_host_header(api: str, make_site: Any) -> None:
    # given a plugin that only swapped rest.akismet.com for our host
    site = make_site()
    headers = {"Host": f"{site.api_key}.rest.akismet.com"}
    # when it calls without an api_key field
    verify = httpx.post(f"{api}/1.1/verify-key", data={"blog": BLOG}, headers=headers)
    check = httpx.post(
        f"{api}/1.1/comment-check", data=form("Nice write-up."), headers=headers, timeout=30
    )
    # then the key in the Host is the one used
    assert verify.text == "valid"
    assert check.text == "false"
    assert site.client.get(f"/v1/comments/{check.headers['x-akismet-guid']}").status_code == 200


@pytest.mark.parametrize(
    ("fields", "help_has"),
    [
        ({"blog": ""}, '"blog"'),
        ({"user_ip": ""}, '"user_ip"'),
        ({"comment_author_email": "x" * 400}, '"comment_author_email"'),
        ({"user_ip": "1" * 60}, '"user_ip"'),
        ({"comment_content": ""}, '"comment_content"'),
    ],
)
def test_invalid_input_is_invalid_with_debug_help(
    api: str, make_site: Any, fields: dict[str, str], help_has: str
) -> None:
    # given a site
    site = make_site()
    # when a field is missing or over its limit
    response = akismet(api, site, "comment-check", form("Fine text.", **fields))
    # then Akismet's error answer says which
    assert (response.status_code, response.text) == (200, "invalid")
    assert help_has in response.headers["x-akismet-debug-help"]


def test_missing_key_is_invalid(api: str) -> None:
    response = httpx.post(f"{api}/1.1/comment-check", data=form("Hello"))
    assert response.text == "invalid"
    assert "api_key" in response.headers["x-akismet-debug-help"]


def test_submit_spam_and_ham_become_labels(api: str, make_site: Any, store: Store) -> None:
    # given a comment the site checked, and one it never checked here
    site = make_site()
    checked = form("Great read, see my profile for more.")
    record_id = akismet(api, site, "comment-check", checked).headers["x-akismet-guid"]
    unknown = form("An old comment from before the switch.")
    # when the blog reports the first as spam and the second as ham
    spam = akismet(api, site, "submit-spam", checked)
    ham = akismet(api, site, "submit-ham", unknown)
    # then both are thanked
    assert spam.text == ham.text == "Thanks for making the web a better place."
    # and the checked one is now decided spam, by the site through Akismet
    verdict = site.client.get(f"/v1/comments/{record_id}").json()["verdict"]
    assert (verdict["status"], verdict["decided_by"]) == ("spam", f"akismet:{site.id}")
    # and a retried report changes nothing
    assert akismet(api, site, "submit-spam", checked).text.startswith("Thanks")
    again = site.client.get(f"/v1/comments/{record_id}").json()["verdict"]
    assert again["version"] == verdict["version"]
    # and both are labels for retraining
    labels = {
        entry["record_id"]: entry
        for _, entry in store.feedback_entries(limit=100_000)
        if entry["site_id"] == site.id
    }
    assert labels[record_id]["labels"] == {"spam": 1}
    (other,) = [e for rid, e in labels.items() if rid != record_id]
    assert other["labels"] == {"spam": 0}
    assert other["text"] == "An old comment from before the switch."

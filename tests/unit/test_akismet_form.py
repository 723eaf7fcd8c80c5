"""Akismet form -> native comment, key lookup and answers: pure mapping, no servers."""

from __future__ import annotations

import pytest

from service.routes.akismet import (
    AkismetError,
    check_answer,
    comment_from_form,
    comment_id_for,
    key_from,
    parse_form,
)
from service.schemas import Finding, PolicyConfig, Verdict


def verdict(
    decision: str, status: str, spam_total: float = 0.0, codes: tuple[str, ...] = ()
) -> Verdict:
    reasons = [Finding(code=c, check="t", score=1.0) for c in codes]
    return Verdict(
        decision=decision,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        scores={},
        reasons=reasons,
        decided_by="auto",
        decided_at=0.0,
        version=1,
        spam_total=spam_total,
    )


def test_parse_form_takes_first_values_and_the_declared_charset() -> None:
    body = b"comment_content=caf%E9&blog_charset=ISO-8859-1&comment_content=second"
    assert parse_form(body)["comment_content"] == "café"
    assert parse_form(b"a=%C3%A9&empty=")["a"] == "é"
    assert parse_form(b"a=%C3%A9&empty=")["empty"] == ""


def test_comment_from_form_maps_fields_and_the_named_honeypot() -> None:
    form = {
        "blog": "https://b.example",
        "user_ip": "198.51.100.4",
        "user_agent": "UA",
        "referrer": "https://b.example/r",
        "permalink": "https://b.example/p",
        "comment_author": "Ann",
        "comment_author_email": "ann@example.org",
        "comment_author_url": "https://ann.example",
        "comment_content": "hello",
        "comment_date_gmt": "2025-01-02T03:04:05Z",
        "blog_lang": "en_us, fr_fr",
        "honeypot_field_name": "hp",
        "hp": "filled",
    }
    comment = comment_from_form(form)
    assert comment.id == comment_id_for(form)
    assert (comment.author.name, comment.author.ip, comment.author.url) == (
        "Ann",
        "198.51.100.4",
        "https://ann.example",
    )
    assert (comment.post.url, comment.post.lang) == ("https://b.example/p", "en_us")
    assert comment.signals.honeypot == "filled"
    assert comment.signals.referrer == "https://b.example/r"
    assert comment.created_at == "2025-01-02T03:04:05Z"


def test_an_empty_honeypot_is_no_signal() -> None:
    comment = comment_from_form({"comment_content": "x", "honeypot_field_name": "hp", "hp": ""})
    assert comment.signals.honeypot is None


def test_field_limits_name_the_akismet_field() -> None:
    with pytest.raises(AkismetError) as err:
        comment_from_form({"comment_content": "x", "user_ip": "9" * 50, "user_agent": "u" * 2000})
    assert '"user_ip"' in err.value.help_text
    assert '"user_agent"' in err.value.help_text


def test_comment_id_ignores_fields_that_differ_between_check_and_submit() -> None:
    base = {"blog": "b", "comment_content": "hi", "user_ip": "1.2.3.4"}
    assert comment_id_for(base) == comment_id_for({**base, "is_test": "1", "user_role": "x"})
    assert comment_id_for(base) != comment_id_for({**base, "comment_content": "hi!"})


@pytest.mark.parametrize(
    ("form", "host", "key"),
    [
        ({"api_key": "k1"}, "k2.rest.akismet.com", "k1"),
        ({"key": "k1"}, "", "k1"),
        ({}, "cgk_abc_XyZ.rest.akismet.com", "cgk_abc_XyZ"),
        ({}, "cgk_abc.akismet.example:8443", "cgk_abc"),
        ({}, "127.0.0.1:8000", ""),
        ({}, "[::1]:8000", ""),
        ({}, "localhost", ""),
    ],
)
def test_key_from_field_or_host(form: dict[str, str], host: str, key: str) -> None:
    assert key_from(form, host) == key


def test_answers() -> None:
    policy = PolicyConfig()
    assert check_answer(None, policy) == ("false", {"X-Commentguard-Status": "pending"})
    assert check_answer(verdict("approve", "approved"), policy)[0] == "false"
    assert check_answer(verdict("hold", "held", 0.6), policy)[0] == "false"
    text, headers = check_answer(verdict("spam", "spam", 0.9), policy)
    assert (text, "X-akismet-pro-tip" in headers) == ("true", False)
    text, headers = check_answer(verdict("spam", "spam", 2.0), policy)
    assert (text, headers["X-akismet-pro-tip"]) == ("true", "discard")
    text, headers = check_answer(verdict("reject", "rejected", 0.0, ("BLOCKED_WORD",)), policy)
    assert (text, headers["X-akismet-pro-tip"]) == ("true", "discard")
    assert check_answer(verdict("reject", "rejected"), policy)[0] == "true"

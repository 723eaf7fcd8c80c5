"""Validation, settings, signing and the callback address filter: pure logic."""

from __future__ import annotations

import hashlib
import hmac
import random
from pathlib import Path

import pytest

from service.netguard import CallbackURLError, check_callback_url
from service.schemas import CommentIn
from service.settings import SettingsError, settings_from_env
from service.validation import BodyError, decode_body
from workers.delivery import backoff_seconds, sign


def test_decode_reports_every_bad_field() -> None:
    with pytest.raises(BodyError) as err:
        decode_body(b'{"content": 1, "author": {"ip": 2, "x": 1}}', CommentIn)
    fields = {d.field for d in err.value.details}
    assert fields == {"id", "content", "author.ip", "author.x"}
    assert err.value.status_code == 422


def test_decode_rejects_non_json_with_400() -> None:
    with pytest.raises(BodyError) as err:
        decode_body(b"{", CommentIn)
    assert err.value.status_code == 400


def test_decode_accepts_a_full_comment() -> None:
    body = (
        b'{"id": "42", "content": "hi", "content_format": "markdown",'
        b' "author": {"name": "A", "email": "a@b.c", "ip": "203.0.113.1"},'
        b' "post": {"id": "p1", "title": "T", "lang": "en"},'
        b' "signals": {"honeypot": "", "time_to_submit_ms": 5000}}'
    )
    comment = decode_body(body, CommentIn)
    assert comment.author.email == "a@b.c"
    assert comment.signals.time_to_submit_ms == 5000


def test_settings_from_environment() -> None:
    settings = settings_from_env(
        {
            "COMMENTGUARD_REDIS_URL": "redis://r:6379/1",
            "COMMENTGUARD_RETENTION_DAYS": "7",
            "COMMENTGUARD_ALLOW_PRIVATE_CALLBACKS": "yes",
            "COMMENTGUARD_DATA_DIR": "/tmp/cg",
            "COMMENTGUARD_TYPO": "1",
            "HOME": "/root",
        }
    )
    assert settings.redis_url == "redis://r:6379/1"
    assert settings.retention_days == 7
    assert settings.allow_private_callbacks is True
    assert settings.models_dir == Path("/tmp/cg/models")
    assert settings.extra == {"COMMENTGUARD_TYPO": "1"}


def test_bad_setting_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="COMMENTGUARD_RETENTION_DAYS"):
        settings_from_env({"COMMENTGUARD_RETENTION_DAYS": "soon"})


def test_missing_redis_url_says_what_to_do() -> None:
    with pytest.raises(SettingsError, match="commentguard up"):
        settings_from_env({}).redis_url_or_fail()


def test_signature_is_hmac_over_timestamp_and_body() -> None:
    header = sign("whsec_x", 1700000000, b'{"a":1}')
    expected = hmac.new(b"whsec_x", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff_seconds(n, 5, 60, rng) for n in range(1, 8)]
    assert 2.5 <= delays[0] <= 5
    assert 5 <= delays[1] <= 10
    assert all(d <= 60 for d in delays)
    assert delays[-1] >= 30


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook", "http://localhost:8000/", "http://10.1.2.3/", "http://192.168.0.4/",
        "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest",
        "http://0.0.0.0/", "ftp://example.com/", "http://user:pw@example.com/", "http://db.internal/",
    ],
)  # fmt: skip
def test_internal_callback_urls_are_refused(url: str) -> None:
    with pytest.raises(CallbackURLError):
        check_callback_url(url, allow_private=False)


def test_private_callbacks_can_be_allowed() -> None:
    check_callback_url("http://127.0.0.1:9000/hook", allow_private=True)
    with pytest.raises(CallbackURLError):
        check_callback_url("file:///etc/passwd", allow_private=True)

"""Security and robustness rules that are pure logic: no servers."""

from __future__ import annotations

import logging
import socket
from typing import Any

import httpx
import pytest

from service.logs import configure_logging
from service.netguard import CallbackURLError, check_callback_url
from service.schemas import CommentIn
from service.validation import BodyError, decode_body
from workers.delivery import PinnedTransport


def test_a_number_too_big_for_a_float_is_a_422_naming_the_field() -> None:
    # msgspec cannot decode 1e400 even untyped; this used to escape as a 500
    with pytest.raises(BodyError) as err:
        decode_body(b'{"id": 1e400, "content": "hi"}', CommentIn)
    assert err.value.status_code == 422
    assert [d.field for d in err.value.details] == ["id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254 (cloud metadata)
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "http://[2002:c0a8:101::1]/hook",  # 6to4 of 192.168.1.1
        "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/hook",  # IPv4-compatible (deprecated) form
        "http://[::10.0.0.1]/hook",
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",  # Teredo, client 10.0.0.1
    ],
)
def test_ipv6_forms_of_internal_ipv4_addresses_are_refused(url: str) -> None:
    with pytest.raises(CallbackURLError):
        check_callback_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::5db8:d822]/hook",
        "http://[2002:5db8:d822::1]/hook",
        "http://93.184.216.34/",
    ],
)
def test_ipv6_forms_of_public_ipv4_addresses_are_allowed(url: str) -> None:
    check_callback_url(url, allow_private=False)


def _capture() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    return seen, httpx.MockTransport(handler)


def test_callbacks_connect_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a name whose DNS answer changes after the first look-up (DNS rebinding)
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    def getaddrinfo(host: str, port: int, **_: object) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    seen, inner = _capture()
    with httpx.Client(transport=PinnedTransport(False, inner)) as client:
        client.post("https://hooks.blog.example/cg?x=1", content=b"{}")
    # then the request goes to the checked address, named as the blog in Host and TLS
    (request,) = seen
    assert request.url.host == "93.184.216.34"
    assert request.url.path == "/cg"
    assert request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.blog.example"
    assert request.extensions["sni_hostname"] == "hooks.blog.example"


def test_a_name_resolving_inside_the_network_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def getaddrinfo(host: str, port: int, **_: object) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("64:ff9b::a9fe:a9fe", port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    seen, inner = _capture()
    with (
        httpx.Client(transport=PinnedTransport(False, inner)) as client,
        pytest.raises(CallbackURLError),
    ):
        client.post("https://rebind.example/hook", content=b"{}")
    assert seen == []


def test_callback_urls_with_their_query_are_not_logged(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("httpx").level)
    try:
        configure_logging("INFO")
        _, inner = _capture()
        with httpx.Client(transport=inner) as client:
            client.post("https://blog.example/hook?token=receiver-secret", content=b"{}")
        logging.getLogger("commentguard.delivery").info("callback attempt")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(saved[2])
    logged = capsys.readouterr().err
    assert "callback attempt" in logged
    assert "receiver-secret" not in logged


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://blog.example:99999/hook", "http://blog.example:x/hook"]
)
def test_a_malformed_callback_url_is_refused_not_an_error(url: str) -> None:
    # urlsplit and .port raise ValueError on these: a 500 on POST /v1/admin/sites before
    for allow_private in (False, True):
        with pytest.raises(CallbackURLError, match="not a valid URL"):
            check_callback_url(url, allow_private=allow_private)


def test_a_callback_url_with_control_characters_is_refused() -> None:
    with pytest.raises(CallbackURLError, match="control characters"):
        check_callback_url("https://blog.example/\x00hook", allow_private=True)

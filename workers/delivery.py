"""Verdicts back to the blog: sign, POST, record the attempt, decide whether to retry.

The signature follows the common webhook scheme: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>">`` with the site's webhook secret, so receivers can reject replays by age.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from service.netguard import CallbackURLError, check_callback_url, resolve_public
from service.schemas import DeliveryAttempt
from service.settings import Settings
from service.store import Store

__all__ = ["Outcome", "PinnedTransport", "attempt_delivery", "backoff_seconds", "sign"]

log = logging.getLogger("commentguard.delivery")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def backoff_seconds(
    attempt: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Capped exponential backoff with jitter: somewhere in the upper half of base * 2^(n-1)."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


class PinnedTransport(httpx.BaseTransport):
    """Connects to the very address the filter approved, so DNS cannot change its answer
    between the check and the connection (DNS rebinding to an internal address).

    A host name is resolved once per request; every address must be public, and the request
    goes to the first one with the name kept in ``Host`` and in TLS (SNI and certificate).
    With ``allow_private`` there is nothing to guard and requests pass through unchanged.
    """

    def __init__(
        self,
        allow_private: bool,
        inner: httpx.BaseTransport | None = None,
        resolve: Callable[[str, int], list[str]] = resolve_public,
    ) -> None:
        self._allow_private = allow_private
        self._inner = inner or httpx.HTTPTransport()
        self._resolve = resolve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if not self._allow_private and not _is_ip(host):
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            address = self._resolve(host, port)[0]  # raises CallbackURLError when internal
            request.url = request.url.copy_with(host=address)
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | retry | failed | dead | skipped
    retry_in: float = 0.0


def attempt_delivery(
    store: Store, settings: Settings, client: httpx.Client, site_id: str, delivery_id: str
) -> Outcome:
    """One attempt of one delivery. Safe to run twice: a finished delivery is not sent again."""
    delivery = store.get_delivery(site_id, delivery_id)
    site = store.get_site(site_id)
    if delivery is None or site is None or delivery.status in {"delivered", "failed", "dead"}:
        return Outcome("skipped")
    attempt_no = delivery.attempts + 1
    started = time.monotonic()
    status_code, error = 0, ""
    try:
        check_callback_url(site.callback_url, settings.allow_private_callbacks, resolve=True)
        timestamp = int(time.time())
        response = client.post(
            site.callback_url,
            content=delivery.body,
            headers={
                "Content-Type": "application/json",
                "X-Commentguard-Signature": sign(site.webhook_secret, timestamp, delivery.body),
                "X-Commentguard-Event": delivery.event,
                "X-Commentguard-Delivery": delivery.id,
                "X-Request-Id": delivery.request_id or delivery.id,
            },
        )
        status_code = response.status_code
    except CallbackURLError as exc:
        error = f"refused: {exc}"
    except httpx.TimeoutException:
        error = "timeout"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    except (httpx.InvalidURL, ValueError) as exc:
        # a URL httpx cannot send to (control characters, a bad IDNA label): without this the
        # task failed on every try and the delivery stayed pending, never a dead letter
        error = f"refused: callback_url cannot be used: {exc}"[:500]
    duration_ms = round((time.monotonic() - started) * 1000, 2)
    if 200 <= status_code < 300:
        status = "delivered"
    elif error.startswith("refused") or (300 <= status_code < 500 and status_code != 429):
        # the receiver (or our address filter) said no: trying again would get the same answer,
        # so it goes straight to the dead letters for an operator to look at
        status = "dead"
        error = (error or f"HTTP {status_code}") + " (final)"
    elif attempt_no - delivery.retry_base >= settings.callback_max_attempts:
        status = "dead"
        error = error or f"HTTP {status_code}"
    else:
        status = "retry"
        error = error or f"HTTP {status_code}"
    store.record_attempt(
        site_id,
        delivery_id,
        DeliveryAttempt(
            attempt=attempt_no,
            at=time.time(),
            duration_ms=duration_ms,
            status_code=status_code,
            error=error,
            outcome=status,  # type: ignore[arg-type]
        ),
        status="pending" if status == "retry" else status,
    )
    log.info(
        "callback attempt",
        extra={
            "request_id": delivery.request_id,
            "delivery": delivery_id,
            "site": site_id,
            "status": status,
            "code": status_code,
            "attempt": attempt_no,
        },
    )
    if status == "retry":
        return Outcome(
            "retry",
            backoff_seconds(
                attempt_no - delivery.retry_base,
                settings.callback_backoff_base_seconds,
                settings.callback_backoff_cap_seconds,
            ),
        )
    return Outcome(status)

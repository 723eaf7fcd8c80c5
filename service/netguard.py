"""Which callback URLs the service may call: no internal addresses unless configured.

A blog's callback URL is chosen by whoever holds the site's admin rights; without this filter it
could point the workers at the metadata service, Redis or anything else on the private network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["CallbackURLError", "check_callback_url", "resolve_public"]


class CallbackURLError(ValueError):
    """The URL is not one the service will deliver to."""


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check_callback_url(url: str, allow_private: bool, resolve: bool = False) -> None:
    """Raise :class:`CallbackURLError` unless ``url`` is an http(s) URL to a public host.

    With ``resolve`` the host name is looked up and every address it has must be public, so a
    name that points inside the network is refused too.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise CallbackURLError("callback_url must start with http:// or https://")
    if not parts.hostname:
        raise CallbackURLError("callback_url has no host")
    if parts.username or parts.password:
        raise CallbackURLError("callback_url must not hold credentials")
    if allow_private:
        return
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if _is_internal(literal):
            raise CallbackURLError(
                f"callback_url points at an internal address ({host}); set "
                "COMMENTGUARD_ALLOW_PRIVATE_CALLBACKS=true to allow it"
            )
        return
    if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        raise CallbackURLError(f"callback_url host {host!r} is internal")
    if resolve:
        resolve_public(host, parts.port or (443 if parts.scheme == "https" else 80))


def resolve_public(host: str, port: int) -> list[str]:
    """Addresses of ``host``; raises when any of them is internal."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CallbackURLError(f"cannot resolve {host!r}: {exc}") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    for text in addresses:
        if _is_internal(ipaddress.ip_address(text)):
            raise CallbackURLError(f"{host!r} resolves to an internal address ({text})")
    return addresses

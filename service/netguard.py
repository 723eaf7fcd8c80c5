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


_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are v4


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo), else None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        # a v6 form of an internal v4 address reaches it through a translator or tunnel
        if embedded is not None and _is_internal(embedded):
            return True
        if address in _IPV4_COMPATIBLE:
            return True
    return not address.is_global or address.is_multicast


def check_callback_url(url: str, allow_private: bool, resolve: bool = False) -> None:
    """Raise :class:`CallbackURLError` unless ``url`` is an http(s) URL to a public host.

    With ``resolve`` the host name is looked up and every address it has must be public, so a
    name that points inside the network is refused too.
    """
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as exc:  # e.g. "http://[::1" (an unclosed IPv6 literal)
        raise CallbackURLError(f"callback_url is not a valid URL: {exc}") from None
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise CallbackURLError("callback_url must not hold spaces or control characters")
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
        resolve_public(host, port or (443 if parts.scheme == "https" else 80))


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

"""Who is calling: a site by its API key, or an admin by the admin token."""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from service.schemas import SitePublic
from service.store import Store, hash_api_key

__all__ = ["admin_guard", "bearer_token", "require_admin", "require_site", "site_for_key"]


def bearer_token(connection: ASGIConnection) -> str:  # type: ignore[type-arg]
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""
    return token.strip()


def require_site(connection: ASGIConnection, store: Store) -> SitePublic:  # type: ignore[type-arg]
    token = bearer_token(connection)
    if not token:
        raise NotAuthorizedException("Send the site's API key as `Authorization: Bearer <key>`")
    site = site_for_key(store, token)
    if site is None:
        raise NotAuthorizedException("Unknown or revoked API key")
    return site


def site_for_key(store: Store, api_key: str) -> SitePublic | None:
    """The site of an API key however it was sent (bearer, form field, Host label), or None."""
    if not api_key:
        return None
    site = store.site_for_api_key(api_key)
    # the lookup is by hash; the compare below keeps a hash collision from ever matching
    if site is None or not hmac.compare_digest(site.api_key_hash, hash_api_key(api_key)):
        return None
    return site


def require_admin(connection: ASGIConnection, admin_token: str) -> None:  # type: ignore[type-arg]
    token = bearer_token(connection)
    if not admin_token:
        raise NotAuthorizedException(
            "The admin API is disabled: set COMMENTGUARD_ADMIN_TOKEN (commentguard up prints one)"
        )
    if not token or not hmac.compare_digest(token.encode(), admin_token.encode()):
        raise NotAuthorizedException("Send the admin token as `Authorization: Bearer <token>`")


def admin_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """Guard for admin-only routes: the admin token from the process settings."""
    require_admin(connection, connection.app.state["services"].settings.admin_token)

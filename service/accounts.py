"""Moderator and admin accounts: passwords, API tokens, sessions, CSRF, and who may see what.

Passwords are hashed with Argon2id (argon2-cffi). API tokens and session ids carry 256 bits of
randomness and are stored as SHA-256 hashes or short-lived keys. The session cookie holds a
random session id signed with HMAC-SHA256 under ``Settings.session_secret``; the CSRF token of a
session is an HMAC of its id, so every page of the session can embed it and every state-changing
request made with the cookie must send it back (header ``X-CSRF-Token`` or form field
``csrf_token``). Requests authenticated with ``Authorization: Bearer <token>`` carry no ambient
credential, so they need no CSRF token.

Use :func:`moderator` / :func:`admin` as Litestar dependencies (API: 401/403), or
:func:`moderator_page` / :func:`admin_page` for HTML pages (redirect to the login page).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from service.auth import bearer_token
from service.schemas import Account
from service.store import Store, hash_api_key

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "AccountExistsError",
    "LoginRequiredError",
    "Principal",
    "SessionSigner",
    "admin",
    "admin_page",
    "allowed_sites",
    "authenticate",
    "can_access",
    "create_account",
    "current_principal",
    "hash_password",
    "issue_api_token",
    "moderator",
    "moderator_page",
    "normalize_email",
    "verify_password",
]

SESSION_COOKIE = "cg_session"
LOGIN_CSRF_COOKIE = "cg_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
TOKEN_PREFIX = "cgm_"  # noqa: S105 (a prefix, not a secret)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_hasher = PasswordHasher()
# verified against when the email is unknown, so a login takes as long either way
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountExistsError(Exception):
    """An account with this email exists already."""


class LoginRequiredError(Exception):
    """An HTML page was asked for without a session: the app answers with a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_account(
    store: Store, email: str, password: str, sites: list[str] | None = None, is_admin: bool = False
) -> Account:
    """Make an account; raises :class:`AccountExistsError` when the email is taken."""
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters")
    account = Account(
        id="m_" + secrets.token_hex(6),
        email=normalize_email(email),
        password_hash=hash_password(password),
        created_at=time.time(),
        admin=is_admin,
        sites=sorted(set(sites or [])),
    )
    if not store.create_account(account):
        raise AccountExistsError(account.email)
    return account


def authenticate(store: Store, email: str, password: str) -> Account | None:
    """The account for this email and password, or None (same work done either way)."""
    account = store.account_by_email(normalize_email(email))
    if account is None or account.disabled:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(account.password_hash, password):
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        store.save_account(msgspec.structs.replace(account, password_hash=hash_password(password)))
    return account


def issue_api_token(store: Store, account: Account) -> str:
    """A new API token for the moderation API; shown once, stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.add_account_token(account.id, hash_api_key(token))
    return token


def can_access(account: Account, site_id: str) -> bool:
    return account.admin or site_id in account.sites


def allowed_sites(store: Store, account: Account) -> list[str]:
    """The sites an account works on: all of them for an admin."""
    if account.admin:
        return [s.id for s in store.list_sites()]
    return list(account.sites)


class SessionSigner:
    """Signs session ids for the cookie and derives each session's CSRF token."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"commentguard-session|" + secret.encode()).digest()

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()

    def sign(self, session_id: str) -> str:
        return f"{session_id}.{self._mac('cookie', session_id)}"

    def unsign(self, cookie: str) -> str | None:
        session_id, _, mac = cookie.rpartition(".")
        if not session_id or not hmac.compare_digest(mac, self._mac("cookie", session_id)):
            return None
        return session_id

    def csrf_token(self, session_id: str) -> str:
        return self._mac("csrf", session_id)

    def check_csrf(self, session_id: str, token: str) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf_token(session_id))


@dataclass(frozen=True)
class Principal:
    """Who is calling and how: ``via`` is ``session`` (cookie) or ``token`` (bearer)."""

    account: Account
    via: str
    session_id: str = ""
    csrf: str = ""

    @property
    def label(self) -> str:
        """How verdicts and audit entries name this person."""
        return f"moderator:{self.account.email}"


def _services(request: Request[Any, Any, State]) -> Any:
    return request.app.state["services"]


def current_principal(request: Request[Any, Any, State]) -> Principal | None:
    """The account behind a bearer token or a session cookie, or None."""
    services = _services(request)
    store: Store = services.store
    token = bearer_token(request)
    if token:
        account = store.account_for_token(hash_api_key(token))
        if account is None or account.disabled:
            raise NotAuthorizedException("Unknown or revoked API token")
        return Principal(account=account, via="token")
    cookie = request.cookies.get(SESSION_COOKIE, "")
    signer: SessionSigner = services.sessions
    session_id = signer.unsign(cookie) if cookie else None
    if session_id is None:
        return None
    ttl = int(services.settings.session_hours * 3600)
    account_id = store.session_account(session_id, ttl)
    account = None if account_id is None else store.get_account(account_id)
    if account is None or account.disabled:
        return None
    return Principal(
        account=account, via="session", session_id=session_id, csrf=signer.csrf_token(session_id)
    )


async def _sent_csrf(request: Request[Any, Any, State]) -> str:
    token = request.headers.get(CSRF_HEADER, "")
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        return value if isinstance(value, str) else ""
    return ""


async def _checked(request: Request[Any, Any, State], principal: Principal) -> Principal:
    if principal.via == "session" and request.method not in SAFE_METHODS:
        signer: SessionSigner = _services(request).sessions
        if not signer.check_csrf(principal.session_id, await _sent_csrf(request)):
            raise PermissionDeniedException(
                "Missing or wrong CSRF token: send the page's token as X-CSRF-Token"
            )
    return principal


async def moderator(request: Request[Any, Any, State]) -> Principal:
    """Dependency for the moderation API: a logged-in moderator or admin, CSRF checked."""
    principal = current_principal(request)
    if principal is None:
        raise NotAuthorizedException(
            "Log in at /login, or send a moderator API token as `Authorization: Bearer <token>`"
        )
    return await _checked(request, principal)


async def admin(request: Request[Any, Any, State]) -> Principal:
    """Dependency for admin-only endpoints reached with an account (not the admin token)."""
    principal = await moderator(request)
    if not principal.account.admin:
        raise PermissionDeniedException("Admins only")
    return principal


def _next_path(request: Request[Any, Any, State]) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return quote(path, safe="/?=&")


async def moderator_page(request: Request[Any, Any, State]) -> Principal:
    """Dependency for HTML pages: like :func:`moderator`, but no session redirects to login."""
    principal = current_principal(request)
    if principal is None:
        raise LoginRequiredError(_next_path(request))
    return await _checked(request, principal)


async def admin_page(request: Request[Any, Any, State]) -> Principal:
    """Dependency for admin-only HTML pages (the ops page): login redirect, then 403."""
    principal = await moderator_page(request)
    if not principal.account.admin:
        raise PermissionDeniedException("Admins only")
    return principal

"""The login page, logging in and out. Sessions live in Redis; the cookie holds a signed id."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from service import accounts
from service.accounts import CSRF_FIELD, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Principal
from service.context import Services

__all__ = ["login_page", "login_submit", "logout", "safe_next", "secure_cookies", "set_cookie"]

_LOGIN_PER_MINUTE = 10


def safe_next(raw: str, default: str = "/moderate") -> str:
    """Only same-site paths: ``/x`` yes, ``//evil.example`` and ``https://...`` no."""
    if not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return default
    return raw


def secure_cookies(request: Request[Any, Any, State], services: Services) -> bool:
    """Cookies are Secure when the page is served over HTTPS (directly or via a proxy)."""
    return request.url.scheme == "https" or services.settings.public_url.startswith("https:")


def set_cookie(
    response: Response[Any],
    request: Request[Any, Any, State],
    services: Services,
    key: str,
    value: str,
    max_age: int | None,
) -> None:
    response.set_cookie(
        key=key,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, services),
    )


def _login_form(
    request: Request[Any, Any, State],
    services: Services,
    next_path: str,
    error: str = "",
    email: str = "",
    status_code: int = 200,
) -> Template:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "") or secrets.token_urlsafe(32)
    response = Template(
        template_name="login.html",
        context={"login_csrf": token, "next_path": next_path, "error": error, "email": email},
        status_code=status_code,
    )
    set_cookie(response, request, services, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@get("/login", sync_to_thread=False, include_in_schema=False)
def login_page(request: Request[Any, Any, State], services: Services, next: str = "") -> Template:
    return _login_form(request, services, safe_next(next))


@post("/login", include_in_schema=False)
async def login_submit(request: Request[Any, Any, State], services: Services) -> Response[Any]:
    """Check the form's CSRF token against its cookie (double submit), then the password."""
    form = await request.form()
    email = str(form.get("email", ""))[:320]
    password = str(form.get("password", ""))[:1024]
    next_path = safe_next(str(form.get("next", "")))
    sent = str(form.get(CSRF_FIELD, ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        return _login_form(
            request, services, next_path, "The form expired; please try again.", email, 403
        )
    store = services.store
    ip = request.client.host if request.client else ""
    limited = store.check_rate_limits(
        "login",
        [
            ("login-ip", ip, _LOGIN_PER_MINUTE / 60.0, float(_LOGIN_PER_MINUTE)),
            ("login-email", accounts.normalize_email(email), 5 / 60.0, 5.0),
        ],
    )
    if not limited.allowed:
        return _login_form(
            request, services, next_path, "Too many attempts; wait a minute.", email, 429
        )
    account = await _authenticate(store, email, password)
    if account is None:
        return _login_form(request, services, next_path, "Wrong email or password.", email, 401)
    session_id = secrets.token_urlsafe(32)
    ttl = int(services.settings.session_hours * 3600)
    lifetime = int(services.settings.session_max_hours * 3600)
    store.create_session(session_id, account.id, ttl, lifetime)
    response: Response[Any] = Redirect(path=next_path, status_code=303)
    set_cookie(response, request, services, SESSION_COOKIE, services.sessions.sign(session_id), ttl)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


async def _authenticate(store: Any, email: str, password: str) -> Any:
    import anyio

    # Argon2 is slow on purpose: keep it off the event loop
    return await anyio.to_thread.run_sync(accounts.authenticate, store, email, password)


@post("/logout", include_in_schema=False)
async def logout(services: Services, moderator: Principal) -> Response[Any]:
    """End the session (the ``moderator`` dependency has checked the CSRF token)."""
    if moderator.session_id:
        services.store.delete_session(moderator.session_id)
    response: Response[Any] = Redirect(path="/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

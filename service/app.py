"""The Litestar application, built from settings by :func:`create_app`."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import ResponseHeader, State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from service import accounts
from service.accounts import LoginRequiredError, SessionSigner
from service.auth import require_site
from service.context import Services, error_response
from service.logs import RequestIdMiddleware, configure_logging
from service.moderation import ModerationError
from service.routes import akismet, perspective
from service.routes.admin import AdminModeratorsController, AdminSitesController
from service.routes.auth_pages import login_page, login_submit, logout
from service.routes.comments import CommentsController
from service.routes.health import health, ready
from service.routes.moderation import ModerationController
from service.routes.ops import OpsAdminController, metrics
from service.routes.ops_pages import (
    ops_chart,
    ops_dead_letter_action,
    ops_dead_letters_all,
    ops_live,
    ops_page,
    ops_stuck_redrive,
)
from service.routes.pages import home, moderate_page
from service.schemas import ErrorBody, ErrorDetail, SitePublic
from service.settings import Settings, get_settings, read_or_create_secret
from service.store import Store
from service.tasks_client import TaskClient
from service.validation import BodyError
from service.waiter import VerdictWaiter

__all__ = ["create_app"]

log = logging.getLogger("commentguard.api")

_HERE = Path(__file__).resolve().parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
]


def _on_moderation_error(_: Request[Any, Any, State], exc: ModerationError) -> Response[ErrorBody]:
    return error_response(exc.status, exc.message)


def _on_login_required(_: Request[Any, Any, State], exc: LoginRequiredError) -> Response[Any]:
    return Redirect(path=f"/login?next={exc.next_path}", status_code=303)


def session_secret(settings: Settings) -> str:
    """The configured session secret, else the one generated once under ``data_dir``."""
    return settings.session_secret or read_or_create_secret(settings.data_dir / "session-secret")


def _on_body_error(_: Request[Any, Any, State], exc: BodyError) -> Response[ErrorBody]:
    return error_response(exc.status_code, exc.message, exc.details)


def _on_http_error(_: Request[Any, Any, State], exc: HTTPException) -> Response[ErrorBody]:
    details: list[ErrorDetail] = []
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        for item in exc.extra:
            if isinstance(item, dict):
                details.append(
                    ErrorDetail(field=str(item.get("key", "$")), message=str(item.get("message")))
                )
    headers = {k: str(v) for k, v in (exc.headers or {}).items()}
    return error_response(exc.status_code, str(exc.detail), details, headers)


def _on_unexpected(request: Request[Any, Any, State], exc: Exception) -> Response[ErrorBody]:
    import redis

    if isinstance(exc, redis.ResponseError) and "stream id" in str(exc).lower():
        # a cursor the client made up reached XRANGE (the verdict feed passes it through):
        # the client's mistake, not an unavailable store
        return error_response(
            400,
            "Bad cursor",
            [ErrorDetail(field="cursor", message="Not a cursor this listing gave out")],
        )
    if isinstance(exc, redis.RedisError):
        log.error("redis unavailable on %s: %s", request.url.path, exc)
        return error_response(
            503,
            "The store is unavailable; nothing was saved, retry shortly",
            headers={"Retry-After": "5"},
        )
    log.exception("unexpected error on %s", request.url.path)
    return error_response(500, "Internal error; it has been logged")


def create_app(settings: Settings | None = None) -> Litestar:
    """The api for ``settings`` (read from the environment when not given)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    redis_url = settings.redis_url_or_fail()
    store = Store.from_url(redis_url, settings.key_prefix, settings.retention_days)
    services = Services(
        settings=settings,
        store=store,
        tasks=TaskClient(redis_url),
        waiter=VerdictWaiter(redis_url, store.keys.verdict_channel()),
        sessions=SessionSigner(session_secret(settings)),
    )

    async def close_waiter() -> None:
        await services.waiter.close()

    def provide_services() -> Services:
        return services

    def provide_store() -> Store:
        return store

    def provide_site(request: Request[Any, Any, State]) -> SitePublic:
        return require_site(request, store)

    return Litestar(
        route_handlers=[
            CommentsController,
            *akismet.ROUTES,
            *perspective.ROUTES,
            AdminSitesController,
            AdminModeratorsController,
            ModerationController,
            health,
            ready,
            metrics,
            OpsAdminController,
            ops_page,
            ops_live,
            ops_chart,
            ops_dead_letter_action,
            ops_dead_letters_all,
            ops_stuck_redrive,
            login_page,
            login_submit,
            logout,
            moderate_page,
            home,
            create_static_files_router(path="/static", directories=[_HERE / "static"]),
        ],
        dependencies={
            "services": Provide(provide_services, use_cache=True, sync_to_thread=False),
            "store": Provide(provide_store, use_cache=True, sync_to_thread=False),
            "site": Provide(provide_site, sync_to_thread=True),
            # a logged-in account (session cookie + CSRF, or a moderator API token)
            "moderator": Provide(accounts.moderator),
            "admin_account": Provide(accounts.admin),
            # the same for HTML pages: no session redirects to /login
            "page_moderator": Provide(accounts.moderator_page),
            "page_admin": Provide(accounts.admin_page),
        },
        template_config=TemplateConfig(directory=_HERE / "templates", engine=JinjaTemplateEngine),
        response_headers=SECURITY_HEADERS,
        exception_handlers={
            LoginRequiredError: _on_login_required,
            ModerationError: _on_moderation_error,
            BodyError: _on_body_error,
            HTTPException: _on_http_error,
            Exception: _on_unexpected,
        },
        request_max_body_size=settings.max_body_bytes,
        middleware=[RequestIdMiddleware],
        logging_config=None,  # configure_logging above: JSON lines, not Litestar's text format
        on_shutdown=[close_waiter],
        debug=False,
        state=State({"services": services, "instance": secrets.token_hex(4)}),
    )

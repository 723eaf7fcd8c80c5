"""What handlers share: the per-process services and the one shape of an error answer."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Response

from service.accounts import SessionSigner
from service.schemas import ErrorBody, ErrorDetail
from service.settings import Settings
from service.store import Store
from service.tasks_client import TaskClient
from service.waiter import VerdictWaiter

__all__ = ["ERROR_CODES", "Services", "error_response"]

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "rate_limited",
    503: "unavailable",
}


@dataclass
class Services:
    """What handlers need, made once per process."""

    settings: Settings
    store: Store
    tasks: TaskClient
    waiter: VerdictWaiter
    sessions: SessionSigner


def error_response(
    status: int,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    """The error body every endpoint answers with: stable code, message, fields at fault."""
    body = ErrorBody(error=ERROR_CODES.get(status, "error"), message=message, details=details or [])
    return Response(body, status_code=status, headers=headers or None)

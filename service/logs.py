"""Structured logs: one JSON object per line, carrying the request id of the comment at hand.

The api sets the request id per HTTP request (:class:`RequestIdMiddleware`); workers pass it as
``extra={"request_id": ...}`` from the record they work on, so one id follows a comment from
intake through scoring to its callback. Secrets and comment texts are never logged: fields with
such names are redacted even when a caller passes them by mistake.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

__all__ = [
    "JsonFormatter",
    "RequestIdMiddleware",
    "configure_logging",
    "current_request_id",
    "request_id_var",
]

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# attributes every LogRecord has; anything else came in through ``extra``
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}
)
_REDACT = re.compile(r"secret|token|password|api_?key|authorization|content|text|body", re.I)
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def current_request_id() -> str:
    return request_id_var.get()


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key in _STANDARD or key == "request_id" or key.startswith("_"):
                continue
            entry[key] = "[redacted]" if _REDACT.search(key) else _plain(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def configure_logging(level: str | int = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    if isinstance(level, str):
        level = int(level) if level.isdigit() else level.upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn and celery install their own text handlers; let theirs flow into ours instead
    # (uvicorn.access is left alone: `--no-access-log` switches it off there)
    for name in ("uvicorn", "uvicorn.error", "celery", "celery.task"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    # httpx logs every request's full URL at INFO: a callback URL's query can carry the
    # receiver's own secret (``?token=...``); the delivery log line says what is needed
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


class RequestIdMiddleware:
    """Give each HTTP request an id (the caller's ``X-Request-Id`` when sane) for its logs,
    and echo it in the response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value.decode("latin-1").strip()
                break
        request_id = given if _REQUEST_ID_OK.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)

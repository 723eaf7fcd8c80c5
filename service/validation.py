"""Decode request bodies into Structs and report every bad field, not only the first.

msgspec stops at the first error; blogs fixing an integration want the whole list, so on failure
each field is checked on its own against its declared type.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from service.schemas import ErrorDetail

__all__ = ["BodyError", "decode_body"]

T = TypeVar("T", bound=msgspec.Struct)

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")


class BodyError(Exception):
    """The body is not what the endpoint accepts; ``details`` names each bad field."""

    def __init__(self, message: str, details: list[ErrorDetail], status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.status_code = status_code


def _clean(message: str) -> str:
    return _PATH.sub("", message)


def _struct_type(annotation: Any) -> type[msgspec.Struct] | None:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None


def _check(value: Any, struct: type[msgspec.Struct], prefix: str) -> list[ErrorDetail]:
    if not isinstance(value, dict):
        return [ErrorDetail(field=prefix or "$", message="Expected an object")]
    errors: list[ErrorDetail] = []
    fields = msgspec.structs.fields(struct)
    known = {f.encode_name for f in fields}
    for name in value:
        if name not in known:
            errors.append(ErrorDetail(field=f"{prefix}{name}", message="Unknown field"))
    for info in fields:
        path = f"{prefix}{info.encode_name}"
        if info.encode_name not in value:
            if info.required:
                errors.append(ErrorDetail(field=path, message="Field is required"))
            continue
        raw = value[info.encode_name]
        nested = _struct_type(info.type)
        if nested is not None:
            errors.extend(_check(raw, nested, f"{path}."))
            continue
        try:
            msgspec.convert(raw, type=info.type)
        except msgspec.ValidationError as exc:
            errors.append(ErrorDetail(field=path, message=_clean(str(exc))))
    return errors


def decode_body(body: bytes, struct: type[T]) -> T:
    """Decode JSON ``body`` as ``struct`` or raise :class:`BodyError` listing every bad field."""
    try:
        return msgspec.json.decode(body, type=struct)
    except msgspec.ValidationError as exc:
        first = exc
    except msgspec.DecodeError as exc:
        raise BodyError(
            "The body is not valid JSON",
            [ErrorDetail(field="$", message=str(exc))],
            status_code=400,
        ) from None
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:  # e.g. a number no float holds (1e400): report where it is
        match = _PATH.search(str(first))
        field = (match.group("path").lstrip(".") if match else "") or "$"
        raise BodyError(
            "The body has invalid fields", [ErrorDetail(field=field, message=_clean(str(first)))]
        ) from None
    details = _check(raw, struct, "")
    if not details:  # a whole-value rule the per-field pass cannot see
        details = [ErrorDetail(field="$", message="Invalid body")]
    raise BodyError("The body has invalid fields", details)

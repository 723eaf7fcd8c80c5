"""Security and robustness rules that are pure logic: no servers."""

from __future__ import annotations

import pytest

from service.schemas import CommentIn
from service.validation import BodyError, decode_body


def test_a_number_too_big_for_a_float_is_a_422_naming_the_field() -> None:
    # msgspec cannot decode 1e400 even untyped; this used to escape as a 500
    with pytest.raises(BodyError) as err:
        decode_body(b'{"id": 1e400, "content": "hi"}', CommentIn)
    assert err.value.status_code == 422
    assert [d.field for d in err.value.details] == ["id"]

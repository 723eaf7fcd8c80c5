"""Perspective request checks and answers: pure mapping, no servers."""

from __future__ import annotations

import msgspec
import pytest

from service.routes.perspective import AnalyzeIn, PerspectiveError, answer, check_request
from service.schemas import AnalysisResult, AttributeScore, SpanScore


def test_attributes_map_to_model_names() -> None:
    got = check_request("hi", ["TOXICITY", "SEVERE_TOXICITY", "THREAT"], ["en-GB"], 100)
    assert got == ["toxicity", "severe_toxicity", "threat"]


@pytest.mark.parametrize(
    ("text", "attributes", "languages", "field"),
    [
        ("hi", ["TOXICITY", "NOPE"], [], "requestedAttributes.NOPE"),
        ("hi", [], [], "requestedAttributes"),
        ("hi", ["TOXICITY"], ["en", "fr"], "languages"),
        ("  ", ["TOXICITY"], [], "comment.text"),
        ("x" * 101, ["TOXICITY"], [], "comment.text"),
    ],
)
def test_bad_requests(text: str, attributes: list[str], languages: list[str], field: str) -> None:
    with pytest.raises(PerspectiveError) as err:
        check_request(text, attributes, languages, 100)
    assert err.value.code == 400
    violations = [v for d in err.value.details for v in d.get("fieldViolations", [])]
    assert field in [v["field"] for v in violations]


def test_answer_applies_thresholds_and_spans() -> None:
    data = msgspec.json.decode(
        b'{"comment": {"text": "you idiot, hello"}, "clientToken": "t",'
        b' "requestedAttributes": {"INSULT": {"scoreThreshold": 0.5}, "THREAT": {},'
        b' "TOXICITY": {"scoreThreshold": 0.95}}}',
        type=AnalyzeIn,
    )
    result = AnalysisResult(
        scores={
            "insult": AttributeScore(0.8, [SpanScore(0, 9, 0.9)]),
            "threat": AttributeScore(0.1),
            "toxicity": AttributeScore(0.7),
        }
    )
    out = msgspec.to_builtins(answer(data, result))
    assert set(out["attributeScores"]) == {"INSULT", "THREAT"}
    assert out["attributeScores"]["INSULT"]["spanScores"] == [
        {"begin": 0, "end": 9, "score": {"value": 0.9, "type": "PROBABILITY"}}
    ]
    assert out["attributeScores"]["THREAT"]["spanScores"][0]["end"] == len("you idiot, hello")
    assert out["attributeScores"]["THREAT"]["summaryScore"] == {"value": 0.1, "type": "PROBABILITY"}
    assert (out["languages"], out["clientToken"]) == (["en"], "t")


def test_error_body_has_googles_shape() -> None:
    response = PerspectiveError(503, "later").response()
    assert response.status_code == 503
    assert response.content == {
        "error": {"code": 503, "message": "later", "status": "UNAVAILABLE", "details": []}
    }

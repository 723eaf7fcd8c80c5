"""The Perspective API as a comment platform calls it: real api, real worker, real models."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.store import Store

pytestmark = pytest.mark.usefixtures("worker")

ANALYZE = "/v1alpha1/comments:analyze"
TOXIC = "You are a stupid idiot and I hate you, shut up."


def analyze(api: str, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{api}{ANALYZE}", params={"key": key}, json=body, timeout=30)


def request(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "comment": {"text": text, "type": "PLAIN_TEXT"},
        "requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
        "languages": ["en"],
        **extra,
    }


def test_analyze_scores_with_spans(api: str, make_site: Any) -> None:
    # given a site's key
    site = make_site()
    # when a platform asks for toxicity with span annotations
    response = analyze(api, site.api_key, request(TOXIC, spanAnnotations=True, clientToken="tok-1"))
    # then it gets Perspective's answer shape back
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data["attributeScores"]) == {"TOXICITY", "INSULT"}
    toxicity = data["attributeScores"]["TOXICITY"]
    assert toxicity["summaryScore"]["type"] == "PROBABILITY"
    assert toxicity["summaryScore"]["value"] > 0.5
    for span in toxicity["spanScores"]:
        assert 0 <= span["begin"] < span["end"] <= len(TOXIC)
        assert 0.0 <= span["score"]["value"] <= 1.0
    assert (data["languages"], data["detectedLanguages"]) == (["en"], ["en"])
    assert data["clientToken"] == "tok-1"


def test_threshold_omits_low_attributes(api: str, make_site: Any) -> None:
    # given a site
    site = make_site()
    # when a platform asks with a threshold that a kind comment stays under
    body = request(
        "Thank you for the lovely write-up about the harbour.",
        requestedAttributes={"TOXICITY": {"scoreThreshold": 0.9}, "THREAT": {}},
    )
    response = analyze(api, site.api_key, body)
    # then the attribute under it is left out, the other is there (one span: the whole text)
    assert response.status_code == 200, response.text
    scores = response.json()["attributeScores"]
    assert "TOXICITY" not in scores
    (span,) = scores["THREAT"]["spanScores"]
    assert (span["begin"], span["end"]) == (0, len(body["comment"]["text"]))


def test_bearer_key_and_do_not_store(api: str, make_site: Any, store: Store) -> None:
    # given a site that sends its key as a bearer token and asks us not to store the text
    site = make_site()
    # when it analyzes
    response = httpx.post(
        f"{api}{ANALYZE}",
        json=request("Nothing to keep here.", doNotStore=True),
        headers={"Authorization": f"Bearer {site.api_key}"},
        timeout=30,
    )
    # then it is answered and nothing of the analysis is left in Redis
    assert response.status_code == 200, response.text
    assert list(store.scan_keys(f"{{{site.id}}}:analysis:*")) == []
    # while without doNotStore the request and result stay, until their short TTL
    kept = analyze(api, site.api_key, request("Keep this one a little while."))
    assert kept.status_code == 200
    assert len(list(store.scan_keys(f"{{{site.id}}}:analysis:*"))) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (request("hi", requestedAttributes={"TOXICITY": {}, "SPAMMY": {}}), "SPAMMY"),
        (request("hi", languages=["de"]), "languages"),
        (request(""), "comment.text"),
        ({"comment": {"text": "hi"}}, "requestedAttributes"),
    ],
)
def test_bad_requests_name_the_field(
    api: str, make_site: Any, body: dict[str, Any], field: str
) -> None:
    # given a site
    site = make_site()
    # when the request has an unknown attribute, another language, no text, no attributes
    response = analyze(api, site.api_key, body)
    # then Perspective's error body says what is wrong
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert field in response.text
    assert error["message"]


def test_missing_and_wrong_keys(api: str) -> None:
    # when no key is sent, then permission is denied
    missing = httpx.post(f"{api}{ANALYZE}", json=request("hi"))
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    # and a wrong key is Google's API_KEY_INVALID
    wrong = analyze(api, "cgk_wrong", request("hi"))
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_suggest_score_is_a_label(api: str, make_site: Any, store: Store) -> None:
    # given a site
    site = make_site()
    # when a platform suggests a score for a text
    response = httpx.post(
        f"{api}/v1alpha1/comments:suggestscore",
        params={"key": site.api_key},
        json={
            "comment": {"text": "This is a rude remark about you."},
            "attributeScores": {
                "TOXICITY": {"summaryScore": {"value": 0.9}},
                "THREAT": {"summaryScore": {"value": 0.1}},
            },
            "clientToken": "c-7",
        },
        timeout=30,
    )
    # then it is thanked with its token and the suggestion is a feedback label
    assert response.status_code == 200, response.text
    assert response.json() == {"clientToken": "c-7"}
    (entry,) = [e for _, e in store.feedback_entries(limit=100_000) if e["site_id"] == site.id]
    assert entry["labels"] == {"toxicity": 1, "threat": 0}
    assert entry["text"] == "This is a rude remark about you."
    assert entry["by"] == f"perspective:{site.id}"

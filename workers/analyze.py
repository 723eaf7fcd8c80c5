"""Scoring a transient text for the Perspective API: no record, no verdict, no review queue.

The api stores an :class:`AnalysisRequest` under a short TTL and sends ``commentguard.analyze``;
this scores it with the loaded models, stores the result and wakes the waiting api process.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import msgspec

from service.schemas import AnalysisRequest, AnalysisResult, AttributeScore, SpanScore
from service.store import Store

if TYPE_CHECKING:
    from workers.runtime import ModelProvider

__all__ = ["analyze"]

log = logging.getLogger("commentguard.analyze")

_encoder = msgspec.json.Encoder()


def _score(provider: ModelProvider, request: AnalysisRequest) -> AnalysisResult:
    from models.registry import TextInput

    scorer = provider.get()
    item = TextInput(text=request.text)
    (scores,) = scorer.score([item])
    spans = scorer.explain(item, request.attributes) if request.spans else {}
    return AnalysisResult(
        scores={
            attribute: AttributeScore(
                value=round(float(scores[attribute]), 4),
                spans=[
                    SpanScore(s.start, s.end, round(float(s.score), 4))
                    for s in spans.get(attribute, [])
                ],
            )
            for attribute in request.attributes
        },
        model_version=scorer.version,
    )


def analyze(store: Store, provider: ModelProvider, site_id: str, analysis_id: str) -> bool:
    """Score one stored request; False when it is gone (expired: the api stopped waiting).

    Safe to run twice: the second run writes the same result again.
    """
    raw = store.get_analysis(site_id, analysis_id)
    if raw is None:
        return False
    request = msgspec.json.decode(raw, type=AnalysisRequest)
    try:
        result = _score(provider, request)
    except Exception:  # the caller gets an error answer now rather than a timeout
        log.exception("analysis failed", extra={"site": site_id, "analysis": analysis_id})
        result = AnalysisResult(error="the models could not score this text")
    store.finish_analysis(site_id, analysis_id, _encoder.encode(result), request.ttl_seconds)
    return True

"""The spam and toxicity models, scored for a whole batch in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from service.schemas import ATTRIBUTES, Finding
from workers.checks.base import CheckContext

if TYPE_CHECKING:
    from workers.runtime import ModelProvider

__all__ = ["ModelCheck"]

CODES = {attribute: f"MODEL_{attribute.upper()}" for attribute in ATTRIBUTES}


class ModelCheck:
    """Findings ``MODEL_<ATTRIBUTE>`` with the probability as score, spans for the high ones."""

    name = "model"
    version = "1"

    def __init__(self, provider: ModelProvider) -> None:
        self.provider = provider
        self.last_scores: list[dict[str, float]] = []
        self.model_version = ""
        self.thresholds: Mapping[str, float] = {}

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        from models.registry import TextInput

        self.last_scores = []
        scorer = self.provider.get()
        inputs = [
            TextInput(
                text=ctx.text,
                author_name=ctx.record.comment.author.name,
                author_url=ctx.record.comment.author.url,
                author_email=ctx.record.comment.author.email,
            )
            for ctx in batch
        ]
        scores = scorer.score(inputs)
        self.last_scores = scores
        self.model_version = scorer.version
        self.thresholds = dict(scorer.thresholds)
        out: list[list[Finding]] = []
        for item, item_scores in zip(inputs, scores, strict=True):
            high = [a for a in ATTRIBUTES if item_scores[a] >= self.thresholds.get(a, 0.5)]
            spans = scorer.explain(item, high) if high else {}
            # explanations index the plain text; only text comments share offsets with content
            findings = [
                Finding(
                    code=CODES[a],
                    check=self.name,
                    score=round(float(item_scores[a]), 4),
                    attribute=a,
                    detail=f"{a} {item_scores[a]:.2f}",
                    spans=[(s.start, s.end) for s in spans.get(a, [])][:10],
                )
                for a in ATTRIBUTES
            ]
            out.append(findings)
        return out

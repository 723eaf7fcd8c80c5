"""The spam and toxicity models, scored for a whole batch in one call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.schemas import ATTRIBUTES, Finding
from workers.checks.base import CheckContext

if TYPE_CHECKING:
    from workers.runtime import ModelProvider

__all__ = ["ModelCheck", "ModelScores"]

CODES = {attribute: f"MODEL_{attribute.upper()}" for attribute in ATTRIBUTES}


@dataclass(frozen=True)
class ModelScores:
    """What the policy needs besides the findings: every probability, and the model's view
    of where each attribute starts to matter."""

    scores: list[dict[str, float]]
    thresholds: Mapping[str, float]
    version: str


class ModelCheck:
    """Findings ``MODEL_<ATTRIBUTE>`` with the probability as score, spans for the high ones."""

    name = "model"
    version = "1"

    def __init__(self, provider: ModelProvider) -> None:
        self.provider = provider

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        return self.score(batch)[1]

    def score(self, batch: list[CheckContext]) -> tuple[ModelScores, list[list[Finding]]]:
        """The scores of the batch and each comment's findings, from one model call."""
        from models.registry import TextInput

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
        thresholds = dict(scorer.thresholds)
        out: list[list[Finding]] = []
        for item, item_scores in zip(inputs, scores, strict=True):
            high = [a for a in ATTRIBUTES if item_scores[a] >= thresholds.get(a, 0.5)]
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
        return ModelScores(scores, thresholds, scorer.version), out

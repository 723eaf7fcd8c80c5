"""Scoring a batch: run every check, let the policy decide, build the verdicts."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from service.schemas import DECISION_TO_STATUS, CommentRecord, Finding, SitePublic, Verdict
from service.store import Store
from workers.checks import Check, CheckContext
from workers.checks.duplicates import DuplicateCheck
from workers.checks.flood import FloodCheck
from workers.checks.language import LanguageCheck
from workers.checks.links import LinksCheck
from workers.checks.model import ModelCheck, ModelScores
from workers.checks.relevance import RelevanceCheck
from workers.checks.reputation import ReputationCheck
from workers.checks.signals import SignalsCheck
from workers.checks.words import WordListCheck
from workers.policy import decide
from workers.runtime import ModelProvider

__all__ = ["Pipeline", "Scored"]

log = logging.getLogger("commentguard.pipeline")


@dataclass(frozen=True)
class Scored:
    record: CommentRecord
    site: SitePublic
    verdict: Verdict


class Pipeline:
    """The checks in order, then the policy."""

    def __init__(self, store: Store, models: ModelProvider) -> None:
        self.model = ModelCheck(models)
        # the rule checks; the model check runs first and apart, the policy needs its scores
        self.checks: list[Check] = [
            LinksCheck(),
            WordListCheck(),
            SignalsCheck(),
            DuplicateCheck(store),
            FloodCheck(store),
            ReputationCheck(store),
            LanguageCheck(),
            RelevanceCheck(),
        ]

    def _run_check(self, check: Check, batch: list[CheckContext]) -> list[list[Finding]]:
        try:
            return _checked(check, batch, check.run(batch))
        except Exception as exc:
            return _failed(check, batch, exc)

    def _run_model(
        self, batch: list[CheckContext]
    ) -> tuple[ModelScores | None, list[list[Finding]]]:
        try:
            model, findings = self.model.score(batch)
            if len(model.scores) != len(batch):
                raise RuntimeError(f"scored {len(model.scores)} of {len(batch)} comments")
            return model, _checked(self.model, batch, findings)
        except Exception as exc:
            return None, _failed(self.model, batch, exc)

    def score(self, pairs: list[tuple[CommentRecord, SitePublic]]) -> list[Scored]:
        batch = [CheckContext(record, site) for record, site in pairs]
        model, per_comment = self._run_model(batch)
        for check in self.checks:
            results = self._run_check(check, batch)
            for findings, found in zip(per_comment, results, strict=True):
                findings.extend(found)
        now = time.time()
        scored = []
        for index, (ctx, findings) in enumerate(zip(batch, per_comment, strict=True)):
            scores = model.scores[index] if model else {}
            config = ctx.site.config
            outcome = decide(
                findings, scores, config.policy, model.thresholds if model else {}, config.mode
            )
            kept = [f for f in outcome.findings if _worth_showing(f)]
            verdict = Verdict(
                decision=outcome.decision,  # type: ignore[arg-type]
                status=DECISION_TO_STATUS[outcome.decision],  # type: ignore[arg-type]
                scores={k: round(float(v), 4) for k, v in scores.items()},
                reasons=kept,
                decided_by="auto",
                decided_at=now,
                version=1,
                mode=config.mode,
                model_version=model.version if model else "",
                spam_total=outcome.spam_total,
                note=outcome.note,
            )
            scored.append(Scored(ctx.record, ctx.site, verdict))
        return scored


def _checked(
    check: Check, batch: list[CheckContext], results: list[list[Finding]]
) -> list[list[Finding]]:
    if len(results) != len(batch):
        raise RuntimeError(f"{check.name} returned {len(results)} results for {len(batch)}")
    return [list(found) for found in results]


def _failed(check: Check, batch: list[CheckContext], exc: Exception) -> list[list[Finding]]:
    """A CHECK_FAILED finding for every comment: such a comment is never auto-approved."""
    log.error("check %s failed on a batch of %d", check.name, len(batch), exc_info=exc)
    failed = Finding(
        code="CHECK_FAILED",
        check=check.name,
        score=0.0,
        detail=f"{check.name} v{check.version} failed: {type(exc).__name__}",
        attribute="meta",
    )
    return [[failed] for _ in batch]


def _worth_showing(finding: Finding) -> bool:
    """Model findings are kept only when they say something; every rule finding is kept."""
    if finding.code.startswith("MODEL_"):
        return finding.score >= 0.3 or bool(finding.spans)
    return True

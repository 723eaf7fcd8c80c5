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
from workers.checks.model import ModelCheck
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
        self.checks: list[Check] = [
            self.model,
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
            results = check.run(batch)
            if len(results) != len(batch):
                raise RuntimeError(f"returned {len(results)} results for {len(batch)} comments")
            return results
        except Exception as exc:
            log.exception("check %s failed on a batch of %d", check.name, len(batch))
            failed = Finding(
                code="CHECK_FAILED",
                check=check.name,
                score=0.0,
                detail=f"{check.name} v{check.version} failed: {type(exc).__name__}",
                attribute="meta",
            )
            return [[failed] for _ in batch]

    def score(self, pairs: list[tuple[CommentRecord, SitePublic]]) -> list[Scored]:
        batch = [CheckContext(record, site) for record, site in pairs]
        per_comment: list[list[Finding]] = [[] for _ in batch]
        for check in self.checks:
            results = self._run_check(check, batch)
            for findings, found in zip(per_comment, results, strict=True):
                findings.extend(found)
        model_ok = len(self.model.last_scores) == len(batch)
        now = time.time()
        scored = []
        for index, (ctx, findings) in enumerate(zip(batch, per_comment, strict=True)):
            scores = self.model.last_scores[index] if model_ok else {}
            config = ctx.site.config
            outcome = decide(
                findings,
                scores,
                config.policy,
                self.model.thresholds if model_ok else {},
                config.mode,
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
                model_version=self.model.model_version if model_ok else "",
                spam_total=outcome.spam_total,
                note=outcome.note,
            )
            scored.append(Scored(ctx.record, ctx.site, verdict))
        return scored


def _worth_showing(finding: Finding) -> bool:
    """Model findings are kept only when they say something; every rule finding is kept."""
    if finding.code.startswith("MODEL_"):
        return finding.score >= 0.3 or bool(finding.spans)
    return True

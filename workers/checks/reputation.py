"""Author reputation on a site: earlier approved comments help, earlier spam hurts."""

from __future__ import annotations

from service.schemas import Finding
from service.store import Store
from workers.checks.base import CheckContext

__all__ = ["ReputationCheck"]

TRUSTED_AFTER = 3


class ReputationCheck:
    name = "reputation"
    version = "1"

    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for ctx in batch:
            findings: list[Finding] = []
            if ctx.author_key:
                rep = self.store.reputation(ctx.site.id, ctx.author_key)
                bad = rep.get("spam", 0) + rep.get("rejected", 0)
                good = rep.get("approved", 0)
                if bad:
                    findings.append(
                        Finding(
                            code="KNOWN_SPAMMER",
                            check=self.name,
                            score=min(1.0, bad / max(1, good + bad) + 0.5 * (bad >= 2)),
                            detail=f"{bad} earlier comment(s) marked spam or rejected",
                        )
                    )
                elif good >= TRUSTED_AFTER:
                    findings.append(
                        Finding(
                            code="TRUSTED_AUTHOR",
                            check=self.name,
                            score=1.0,
                            detail=f"{good} earlier comments approved",
                        )
                    )
            out.append(findings)
        return out

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
        known = [i for i, ctx in enumerate(batch) if ctx.author_key]
        reps = self.store.reputations([(batch[i].site.id, batch[i].author_key) for i in known])
        out: list[list[Finding]] = [[] for _ in batch]
        for i, rep in zip(known, reps, strict=True):
            bad = rep.get("spam", 0) + rep.get("rejected", 0)
            good = rep.get("approved", 0)
            if bad:
                out[i].append(
                    Finding(
                        code="KNOWN_SPAMMER",
                        check=self.name,
                        score=min(1.0, bad / max(1, good + bad) + 0.5 * (bad >= 2)),
                        detail=f"{bad} earlier comment(s) marked spam or rejected",
                    )
                )
            elif good >= TRUSTED_AFTER:
                out[i].append(
                    Finding(
                        code="TRUSTED_AUTHOR",
                        check=self.name,
                        score=1.0,
                        detail=f"{good} earlier comments approved",
                    )
                )
        return out

"""Flood: the same author (email, else IP) posting many comments in a short window."""

from __future__ import annotations

from service.schemas import Finding
from service.store import Store
from workers.checks.base import CheckContext

__all__ = ["FloodCheck"]

WINDOW_SECONDS = 60.0
ALLOWED_IN_WINDOW = 5


class FloodCheck:
    name = "flood"
    version = "1"

    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for ctx in batch:
            if not ctx.author_key:
                out.append([])
                continue
            count = self.store.count_in_window(
                ctx.site.id, ctx.author_key, WINDOW_SECONDS, ctx.record.id
            )
            findings = []
            if count > ALLOWED_IN_WINDOW:
                findings.append(
                    Finding(
                        code="FLOOD",
                        check=self.name,
                        score=min(1.0, (count - ALLOWED_IN_WINDOW) / ALLOWED_IN_WINDOW),
                        detail=f"{count} comments by this author in {int(WINDOW_SECONDS)} s",
                    )
                )
            out.append(findings)
        return out

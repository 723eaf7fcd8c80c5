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
        known = [i for i, ctx in enumerate(batch) if ctx.author_key]
        counts = self.store.count_in_windows(
            [(batch[i].site.id, batch[i].author_key, batch[i].record.id) for i in known],
            WINDOW_SECONDS,
        )
        out: list[list[Finding]] = [[] for _ in batch]
        for i, count in zip(known, counts, strict=True):
            if count > ALLOWED_IN_WINDOW:
                out[i].append(
                    Finding(
                        code="FLOOD",
                        check=self.name,
                        score=min(1.0, (count - ALLOWED_IN_WINDOW) / ALLOWED_IN_WINDOW),
                        detail=f"{count} comments by this author in {int(WINDOW_SECONDS)} s",
                    )
                )
        return out

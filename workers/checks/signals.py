"""Form signals the blog sends: a filled honeypot field and a too-fast submit."""

from __future__ import annotations

from service.schemas import Finding
from workers.checks.base import CheckContext

__all__ = ["FAST_SUBMIT_MS", "SignalsCheck"]

FAST_SUBMIT_MS = 3000


class SignalsCheck:
    name = "signals"
    version = "1"

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for ctx in batch:
            signals = ctx.record.comment.signals
            findings: list[Finding] = []
            if signals.honeypot:
                findings.append(
                    Finding(
                        code="HONEYPOT",
                        check=self.name,
                        score=1.0,
                        detail="the hidden honeypot field was filled in",
                    )
                )
            elapsed = signals.time_to_submit_ms
            if elapsed is not None and elapsed < FAST_SUBMIT_MS:
                findings.append(
                    Finding(
                        code="FAST_SUBMIT",
                        check=self.name,
                        score=round(1.0 - elapsed / FAST_SUBMIT_MS, 3),
                        detail=f"submitted {elapsed} ms after the page loaded",
                    )
                )
            out.append(findings)
        return out

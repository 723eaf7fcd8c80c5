"""Turning findings into a decision, from the site's weights and thresholds (rspamd-style).

Checks report; only this module decides. Spam findings add up (weight x score) to a spam total
compared with the site's thresholds; toxicity comes from the model's per-attribute scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.schemas import ATTRIBUTES, Finding, PolicyConfig

__all__ = ["DEFAULT_WEIGHTS", "Decision", "decide"]

DEFAULT_WEIGHTS: dict[str, float] = {
    "MODEL_SPAM": 1.0,
    "HONEYPOT": 1.0,
    "FAST_SUBMIT": 0.4,
    "LINK_COUNT": 0.3,
    "LINK_SHORTENER": 0.4,
    "MARKUP_LINK": 0.2,
    "AUTHOR_NAME_LINK": 0.5,
    "DUPLICATE_CONTENT": 0.6,
    "NEAR_DUPLICATE": 0.4,
    "FLOOD": 0.6,
    "KNOWN_SPAMMER": 0.7,
    "TRUSTED_AUTHOR": -0.3,
    # the models read English only: a comment in another language than the post's is one they
    # cannot judge, so on its own it goes to a person (spam_hold 0.5) instead of being approved
    "LANGUAGE_MISMATCH": 0.5,
    "OFF_TOPIC": 0.2,
}

TOXICITY_ATTRIBUTES = tuple(a for a in ATTRIBUTES if a != "spam")
_ORDER = {"approve": 0, "hold": 1, "spam": 2, "reject": 3}


@dataclass(frozen=True)
class Decision:
    decision: str
    spam_total: float
    note: str
    findings: list[Finding]


def _worse(a: str, b: str) -> str:
    return a if _ORDER[a] >= _ORDER[b] else b


def decide(
    findings: list[Finding],
    scores: Mapping[str, float],
    config: PolicyConfig,
    model_thresholds: Mapping[str, float],
    mode: str = "auto",
) -> Decision:
    """The decision for one comment. A failed check never lets a comment be auto-approved."""
    weights = {**DEFAULT_WEIGHTS, **config.weights}
    weighted = [
        Finding(
            code=f.code,
            check=f.check,
            score=f.score,
            detail=f.detail,
            attribute=f.attribute,
            spans=f.spans,
            weighted=round(weights.get(f.code, 0.0) * f.score, 4) if f.attribute == "spam" else 0.0,
        )
        for f in findings
    ]
    spam_total = round(sum(f.weighted for f in weighted), 4)
    codes = {f.code for f in weighted}
    decision, reasons = "approve", []
    if spam_total >= config.spam_spam:
        decision, reasons = "spam", [f"spam score {spam_total:.2f} >= {config.spam_spam}"]
    elif spam_total >= config.spam_hold:
        decision, reasons = "hold", [f"spam score {spam_total:.2f} >= {config.spam_hold}"]
    for attribute in TOXICITY_ATTRIBUTES:
        score = scores.get(attribute)
        if score is None:
            continue
        hold_at = (
            config.toxicity_hold
            if config.toxicity_hold is not None
            else model_thresholds.get(attribute, 0.5)
        )
        if score >= config.toxicity_reject:
            decision = _worse("reject", decision)
            reasons.append(f"{attribute} {score:.2f} >= {config.toxicity_reject}")
        elif score >= hold_at:
            decision = _worse("hold", decision)
            reasons.append(f"{attribute} {score:.2f} >= {hold_at:.2f}")
    if "BLOCKED_WORD" in codes:
        decision = _worse("reject", decision)
        reasons.append("blocked word")
    if "HOLD_WORD" in codes:
        decision = _worse("hold", decision)
        reasons.append("word on the hold list")
    if "CHECK_FAILED" in codes and decision == "approve":
        decision = "hold"
        reasons.append("a check failed, so the comment was not auto-approved")
    note = "; ".join(reasons)
    if mode == "premoderate" and decision != "hold":
        note = f"premoderated (scored {decision}{': ' + note if note else ''})"
        decision = "hold"
    elif mode == "shadow" and decision != "approve":
        note = f"shadow mode: would have been {decision} ({note})"
        decision = "approve"
    return Decision(decision=decision, spam_total=spam_total, note=note, findings=weighted)

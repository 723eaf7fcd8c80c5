"""The policy turns findings into decisions from config; checks never decide."""

from __future__ import annotations

from service.schemas import Finding, PolicyConfig
from workers.policy import decide

THRESHOLDS = {"toxicity": 0.6, "insult": 0.6, "threat": 0.4}


def finding(code: str, score: float = 1.0, attribute: str = "spam") -> Finding:
    return Finding(code=code, check="test", score=score, attribute=attribute)


def test_clean_comment_is_approved() -> None:
    outcome = decide([finding("MODEL_SPAM", 0.05)], {"spam": 0.05, "toxicity": 0.1},
                     PolicyConfig(), THRESHOLDS)  # fmt: skip
    assert outcome.decision == "approve"
    assert outcome.spam_total == 0.05


def test_spam_findings_add_up_with_their_weights() -> None:
    findings = [finding("MODEL_SPAM", 0.3), finding("LINK_SHORTENER"), finding("HONEYPOT")]
    outcome = decide(findings, {"spam": 0.3}, PolicyConfig(), THRESHOLDS)
    assert outcome.spam_total == 0.3 + 0.4 + 1.0
    assert outcome.decision == "spam"
    assert [f.weighted for f in outcome.findings] == [0.3, 0.4, 1.0]


def test_spam_between_thresholds_is_held() -> None:
    outcome = decide([finding("MODEL_SPAM", 0.6)], {"spam": 0.6}, PolicyConfig(), THRESHOLDS)
    assert outcome.decision == "hold"


def test_a_comment_in_another_language_than_the_post_is_held() -> None:
    # the spam model cannot read it, so a low spam score must not approve it
    findings = [finding("MODEL_SPAM", 0.02), finding("LANGUAGE_MISMATCH")]
    outcome = decide(findings, {"spam": 0.02}, PolicyConfig(), THRESHOLDS)
    assert outcome.decision == "hold"
    config = PolicyConfig(weights={"LANGUAGE_MISMATCH": 0.1})  # a multilingual blog opts out
    assert decide(findings, {"spam": 0.02}, config, THRESHOLDS).decision == "approve"


def test_site_weights_override_defaults() -> None:
    config = PolicyConfig(weights={"LINK_SHORTENER": 0.0})
    outcome = decide([finding("LINK_SHORTENER")], {}, config, THRESHOLDS)
    assert outcome.decision == "approve"


def test_trusted_author_lowers_the_total() -> None:
    findings = [finding("MODEL_SPAM", 0.7), finding("TRUSTED_AUTHOR")]
    assert decide(findings, {"spam": 0.7}, PolicyConfig(), THRESHOLDS).decision == "approve"


def test_toxicity_uses_the_model_thresholds_unless_the_site_sets_one() -> None:
    scores = {"spam": 0.0, "threat": 0.45}
    assert decide([], scores, PolicyConfig(), THRESHOLDS).decision == "hold"
    assert decide([], scores, PolicyConfig(toxicity_hold=0.5), THRESHOLDS).decision == "approve"
    assert decide([], {"insult": 0.97}, PolicyConfig(), THRESHOLDS).decision == "reject"


def test_word_lists_block_and_hold() -> None:
    assert (
        decide([finding("BLOCKED_WORD", attribute="words")], {}, PolicyConfig(), {}).decision
        == "reject"
    )
    assert (
        decide([finding("HOLD_WORD", attribute="words")], {}, PolicyConfig(), {}).decision == "hold"
    )


def test_a_failed_check_is_never_auto_approved() -> None:
    outcome = decide([finding("CHECK_FAILED", 0.0, "meta")], {}, PolicyConfig(), {})
    assert outcome.decision == "hold"
    assert "check failed" in outcome.note


def test_premoderate_holds_everything() -> None:
    outcome = decide([], {"spam": 0.0}, PolicyConfig(), {}, mode="premoderate")
    assert outcome.decision == "hold"
    spam = decide([finding("HONEYPOT")], {}, PolicyConfig(), {}, mode="premoderate")
    assert spam.decision == "hold"
    assert "scored spam" in spam.note


def test_shadow_mode_approves_but_reports() -> None:
    outcome = decide([finding("HONEYPOT")], {}, PolicyConfig(), {}, mode="shadow")
    assert outcome.decision == "approve"
    assert "would have been spam" in outcome.note

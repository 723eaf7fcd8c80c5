"""Checks against the real data folder and the shipped artifacts (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.data import load_bias_eval, load_olid_test, load_spam, load_toxicity
from models.registry import SHIPPED_DIR, TextInput, load_scorer

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"needs the labelled data in {DATA}")


@pytest.mark.data
@needs_data
def test_loaders_read_every_set() -> None:
    spam = load_spam(DATA)
    tox = load_toxicity(DATA)
    assert {e.source for e in spam} == {"youtube", "sms", "wiki_links"}
    assert {e.source for e in tox} == {
        "olid",
        "davidson",
        "toxic_spans",
        "mlma",
        "wiki",
        "wiki_cat",
    }
    assert len(load_olid_test(DATA)) == 860
    assert {k: len(v) for k, v in load_bias_eval(DATA).items()} == {"plain": 1492, "swapped": 1492}


@pytest.mark.data
@needs_data
def test_shipped_scorer_on_identity_statements() -> None:
    scorer = load_scorer()
    rows = scorer.score([TextInput("I am a gay man"), TextInput("I am a Muslim woman")])
    for row in rows:
        for attr, p in row.items():
            assert p < scorer.thresholds[attr], attr


def test_shipped_artifacts_are_small() -> None:
    total = sum(p.stat().st_size for p in SHIPPED_DIR.iterdir())
    assert total < 40 * 1024 * 1024


IDENTITY_TEXTS = [
    "All Jews are greedy rats",
    "All Gays are greedy rats",
    "Black people built this city and gay men marched",
    "I am a gay man",
]


def test_shipped_fast_path_matches_the_pipelines_on_identity_terms() -> None:
    scorer = load_scorer()
    items = [TextInput(t) for t in IDENTITY_TEXTS]
    fast = scorer.score_array(items)
    slow = scorer.score_pipelines(items)
    for got, want in zip(fast, slow, strict=True):
        assert got == pytest.approx(want, abs=1e-6)


def test_shipped_model_treats_every_identity_alike_and_sees_group_attacks() -> None:
    scorer = load_scorer()
    # (names of the same length: the comment's length is a feature; the spam model keeps
    # identity terms, it has no reason to drop them)
    jews, gays = scorer.score([TextInput(IDENTITY_TEXTS[0]), TextInput(IDENTITY_TEXTS[1])])
    assert {a: p for a, p in jews.items() if a != "spam"} == {
        a: p for a, p in gays.items() if a != "spam"
    }
    assert jews["identity_attack"] >= scorer.thresholds["identity_attack"]


def test_shipped_spam_model_does_not_file_a_cited_source_as_spam() -> None:
    # a reader linking an official report: a moderator may look at it, the spam folder may not
    scorer = load_scorer()
    text = (
        "Thanks for covering this. The original report: "
        "https://www.gov.uk/government/publications/coastal-flood-report"
    )
    spam = scorer.score([TextInput(text)])[0]["spam"]
    assert spam < 0.85
    linking = scorer.metadata["metrics"]["spam_linking_comments"]
    assert linking["n"] > 100
    assert linking["over_threshold"] < 0.7

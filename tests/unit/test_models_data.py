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
    assert {e.source for e in spam} == {"youtube", "sms"}
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

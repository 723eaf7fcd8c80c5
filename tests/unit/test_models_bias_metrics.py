"""Identity-bias AUCs (Borkan et al. 2019) on plain arrays, and the template loader."""

from __future__ import annotations

from pathlib import Path

from models.data import load_bias_templates
from models.evaluate import subgroup_bias


def test_a_group_whose_clean_sentences_score_high_has_the_lowest_bpsn() -> None:
    # given "b"'s non-toxic sentences score as high as everyone's toxic ones
    y = [0, 1, 0, 1, 0, 1]
    p = [0.1, 0.9, 0.2, 0.8, 0.85, 0.95]
    groups = ["a", "a", "c", "c", "b", "b"]
    # when
    r = subgroup_bias(y, p, groups)
    # then within each group the ranking is perfect, but b's BPSN falls below 1
    assert all(v["subgroup"] == 1.0 for v in r["per_group"].values())
    assert r["worst"]["bpsn"] == {"group": "b", "auc": 0.5}
    assert r["per_group"]["b"]["bnsp"] == 1.0
    assert r["spread"]["bpsn"] == 0.5


def test_sentences_naming_no_identity_are_background_only() -> None:
    r = subgroup_bias([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], ["a", "a", "", ""])
    assert set(r["per_group"]) == {"a"}
    assert r["per_group"]["a"]["bpsn"] == 1.0


def test_template_identities_come_from_the_templates_longest_first(tmp_path: Path) -> None:
    folder = tmp_path / "conversationai-bias-eval"
    folder.mkdir()
    (folder / "en_sentence_templates.csv").write_text(
        "template,toxicity,phrase\n"
        "am_hate_adj,nontoxic,I am american\n"
        "am_hate_adj,nontoxic,I am african american\n"
        "you_are_adj,toxic,You are a stupid african american\n"
        "being_adj,nontoxic,Being American is fun\n"
        "you_occupation,toxic,You are a stupid farmer\n",
        encoding="utf-8",
    )
    rows = load_bias_templates(tmp_path)
    assert [(e.group, e.labels["toxicity"]) for e in rows] == [
        ("american", 0),
        ("african american", 0),
        ("african american", 1),
        ("american", 0),
        ("", 1),
    ]
    assert {e.source for e in rows} == {"bias_templates"}

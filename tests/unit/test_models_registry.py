"""Training on the tiny fixture set, artifact round-trip, version checks, promotion, CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models import registry
from models.registry import (
    ATTRIBUTES,
    ModelVersionError,
    TextInput,
    UntrustedArtifactError,
    load_scorer,
    promote,
    promoted_version,
)
from models.train import cross_fitted_toxicity, train_all
from models.types import LabelledExample

REPO = Path(__file__).resolve().parents[2]
FIXTURE_DATA = REPO / "tests" / "fixtures" / "models" / "data"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "v1"
    train_all(FIXTURE_DATA, out, progress=False, version="test-1")
    return out


def test_training_writes_a_complete_model_folder(trained: Path) -> None:
    names = {p.name for p in trained.iterdir()}
    assert {"spam.skops", "toxicity.skops", "metadata.json", "MODEL_CARD.md"} <= names
    assert {"evaluation.md", "evaluation.json"} <= names
    meta = json.loads((trained / "metadata.json").read_text())
    assert meta["version"] == "test-1"
    assert set(meta["thresholds"]) == set(ATTRIBUTES)
    assert all(len(h) == 64 for h in meta["data_sources"].values())


def test_training_is_deterministic(trained: Path, tmp_path: Path) -> None:
    # when
    train_all(FIXTURE_DATA, tmp_path, progress=False, version="test-1")
    # then
    for name in ("spam.skops", "toxicity.skops", "metadata.json", "evaluation.json"):
        assert (tmp_path / name).read_bytes() == (trained / name).read_bytes(), name


def test_cross_fitting_scores_each_row_with_a_model_that_never_saw_it(tmp_path: Path) -> None:
    # given a copy of the fixtures where one wiki-talk row's label is flipped
    flipped = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, flipped)
    gn = flipped / "wiki-talk-context-toxicity" / "data_CAT_LARGE_gn.csv"
    gn.write_text(gn.read_text().replace('get lost",1,', 'get lost",0,'))
    # when
    rows, p = cross_fitted_toxicity(FIXTURE_DATA, ("wiki", "wiki_cat"), folds=3, progress=False)
    rows2, p2 = cross_fitted_toxicity(flipped, ("wiki", "wiki_cat"), folds=3, progress=False)
    # then every row of those sources is scored, and a row's own label cannot move its score
    assert {e.source for e in rows} == {"wiki", "wiki_cat"}
    assert len(rows) == len(p)
    assert ((p >= 0) & (p <= 1)).all()
    i = next(i for i, e in enumerate(rows) if e.text.startswith("you are a stupid idiot"))
    assert [e.text for e in rows2] == [e.text for e in rows]
    assert rows[i].labels["toxicity"] == 1
    assert rows2[i].labels["toxicity"] == 0
    assert p2[i] == p[i]
    # while the models that did train on it score the other folds differently
    assert any(p2[j] != p[j] for j in range(len(p)) if j != i)


def test_round_trip_scores_all_attributes(trained: Path, tmp_path: Path) -> None:
    # given
    root = tmp_path / "deploy"
    promote(root, trained)
    # when
    scorer = load_scorer(root)
    rows = scorer.score(
        [TextInput("you are a stupid idiot"), TextInput("Free cash, visit bit.ly/win now")]
    )
    # then
    assert scorer.version == "test-1" == promoted_version(root)
    assert [set(r) for r in rows] == [set(ATTRIBUTES)] * 2
    assert all(0.0 <= v <= 1.0 for r in rows for v in r.values())
    assert rows[0]["toxicity"] > rows[1]["toxicity"]
    assert rows[1]["spam"] > rows[0]["spam"]
    assert set(scorer.thresholds) == set(ATTRIBUTES)


def test_explain_points_into_the_original_text(trained: Path, tmp_path: Path) -> None:
    root = tmp_path / "deploy"
    promote(root, trained)
    scorer = load_scorer(root)
    text = "Well, you are a STUPID id1ot!"
    spans = scorer.explain(TextInput(text))
    assert set(spans) == set(ATTRIBUTES)
    found = [text[s.start : s.end] for s in spans["toxicity"]]
    assert found
    assert all(f.strip() and f in text for f in found)
    assert all(0.0 <= s.score <= 1.0 for v in spans.values() for s in v)


def _promoted_copy(trained: Path, tmp_path: Path, **metadata: object) -> Path:
    """A deployment root promoting a copy of ``trained`` with ``metadata`` changed."""
    folder = tmp_path / "copy"
    folder.mkdir()
    for p in trained.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    meta = json.loads((folder / "metadata.json").read_text())
    meta.update(metadata)
    (folder / "metadata.json").write_text(json.dumps(meta))
    root = tmp_path / "deploy"
    root.mkdir()
    (root / "promoted.json").write_text(json.dumps({"version": "x", "path": str(folder)}))
    return root


def test_version_mismatch_fails_clearly(trained: Path, tmp_path: Path) -> None:
    # given
    root = _promoted_copy(trained, tmp_path, sklearn_version="0.24.2")
    # when / then
    with pytest.raises(ModelVersionError, match=r"0\.24\.2.*commentguard train"):
        load_scorer(root)


def test_artifacts_of_another_format_fail_clearly(trained: Path, tmp_path: Path) -> None:
    # given a folder made by a release whose toxicity features had no valence table
    root = _promoted_copy(trained, tmp_path, format=1)
    # when / then
    with pytest.raises(ModelVersionError, match=r"format 1.*commentguard train"):
        load_scorer(root)


def test_tampered_artifact_is_refused(trained: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for p in trained.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "spam.skops").write_bytes((trained / "toxicity.skops").read_bytes())
    with pytest.raises(UntrustedArtifactError):
        registry.load_pipeline(folder, "spam")


def test_promote_is_atomic_and_cheap_to_poll(trained: Path, tmp_path: Path) -> None:
    root = tmp_path / "deploy"
    promote(root, trained)
    assert promoted_version(root) == "test-1"
    assert not list(root.glob(".promoted-*"))
    assert promoted_version(None) == registry.read_metadata(registry.SHIPPED_DIR)["version"]


def test_feedback_labels_are_merged(tmp_path: Path) -> None:
    extra = [
        LabelledExample(f"buy followers at promo{i}.example now", {"spam": 1}) for i in range(30)
    ]
    report = train_all(FIXTURE_DATA, tmp_path, extra_labels=extra, progress=False)
    meta = json.loads(report.metadata_path.read_text())
    assert meta["extra_labels"] == 30
    assert meta["training_rows"]["spam"]["train"] > 40


def test_classify_cli_streams_json_lines(trained: Path, tmp_path: Path) -> None:
    # given
    root = tmp_path / "deploy"
    promote(root, trained)
    src = tmp_path / "in.jsonl"
    lines = [
        {"text": "you are a stupid idiot"},
        {"text": "great song", "author_name": "fan"},
        {"text": "cheap loans", "author_url": "http://bit.ly/x", "author_email": "a@b.co"},
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    dst = tmp_path / "out.jsonl"
    # when
    subprocess.run(
        [
            sys.executable,
            "-m",
            "models",
            "classify",
            "--input",
            str(src),
            "--output",
            str(dst),
            "--models",
            str(root),
        ],
        check=True,
        cwd=REPO,
    )
    # then
    rows = [json.loads(x) for x in dst.read_text().splitlines()]
    assert len(rows) == 3
    assert all(list(r) == list(ATTRIBUTES) for r in rows)
    assert all(0.0 <= v <= 1.0 for r in rows for v in r.values())


def test_no_model_is_loaded_at_import() -> None:
    code = (
        "import sys, models.registry, models.train, models.explain, models.__main__;"
        "import skops.io as s; assert 'models.artifacts' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_scorer_fast_path_matches_the_pipelines(trained: Path, tmp_path: Path) -> None:
    # given
    root = tmp_path / "deploy"
    promote(root, trained)
    scorer = load_scorer(root)
    items = [
        TextInput("you are a stupid id1ot!!"),
        TextInput("Free cash, visit b i t . l y / win now", author_name="promo4u"),
        TextInput(""),
        TextInput("I am a gay man"),
    ]
    # when
    rows = scorer.score(items)
    spam = scorer.spam.predict_proba(items)[:, 0]
    tox = scorer.toxicity.predict_proba(items)
    # then
    for i, row in enumerate(rows):
        assert row["spam"] == pytest.approx(spam[i], abs=1e-6)
        for k, attr in enumerate(ATTRIBUTES[1:]):
            assert row[attr] == pytest.approx(tox[i, k], abs=1e-6)


def test_one_comment_scores_as_it_does_in_a_batch() -> None:
    # given the shipped models and comments with repeated words, bigrams, links, no tokens
    scorer = load_scorer()
    items = [
        TextInput("you are a stupid stupid id1ot!! you are"),
        TextInput("Cheap loans at bit.ly/fast-cash, call +44 7700 900123", author_name="loans4u"),
        TextInput(""),
        TextInput("!!!"),
        TextInput("All Jews are greedy rats. " * 30),
        TextInput("The harbour wall was finished in spring"),
    ]
    # when each is scored alone (its own code path) and all together
    alone = [scorer.score_array([item])[0] for item in items]
    together = scorer.score_array(items)
    pipelines = scorer.score_pipelines(items)
    # then every probability agrees
    for a, b, c in zip(alone, together, pipelines, strict=True):
        assert a == pytest.approx(b, abs=1e-6)
        assert a == pytest.approx(c, abs=1e-6)


def test_fast_path_survives_a_token_table_reset(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a table limit so small that every batch resets the token tables
    from models import fastpath

    root = tmp_path / "deploy"
    promote(root, trained)
    scorer = load_scorer(root)
    items = [TextInput(f"word{i} you idiot, see example.com now {i}") for i in range(30)]
    expected = scorer.score_pipelines(items)
    monkeypatch.setattr(fastpath, "MAX_TOKENS", 5)
    # when
    first = scorer.score_array(items[:10])
    rest = scorer.score_array(items[10:])
    # then
    for got, want in zip(first + rest, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-6)


def test_explain_all_attributes_matches_explaining_each(trained: Path, tmp_path: Path) -> None:
    # given
    from models.explain import explain_spans
    from models.types import TOXICITY_LABELS

    root = tmp_path / "deploy"
    promote(root, trained)
    scorer = load_scorer(root)
    item = TextInput("You are a stupid id1ot!! Free cash at b i t . l y / win, you loser")
    # when
    together = scorer.explain(item)
    # then
    alone = {"spam": explain_spans(scorer.spam, 0, item)}
    alone |= {a: explain_spans(scorer.toxicity, k, item) for k, a in enumerate(TOXICITY_LABELS)}
    assert set(together) == set(ATTRIBUTES)
    for attribute in ATTRIBUTES:
        got, want = together[attribute], alone[attribute]
        assert [(s.start, s.end) for s in got] == [(s.start, s.end) for s in want]
        assert [s.score for s in got] == pytest.approx([s.score for s in want], abs=1e-6)


def test_training_reports_identity_bias_on_the_sentence_templates(trained: Path) -> None:
    report = json.loads((trained / "evaluation.json").read_text())["bias_templates"]
    assert report["n"] == 14
    assert set(report["per_group"]) == {"gay", "american", "african american"}
    assert set(report["worst"]) == {"subgroup", "bpsn", "bnsp"}
    assert "Identity terms in the sentence templates" in (trained / "evaluation.md").read_text()

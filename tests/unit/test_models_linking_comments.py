"""Comments that cite a link: non-spam training rows and the spam model's linking-comment check."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.data import load_linking_comments, load_spam
from models.evaluate import leave_one_group_out
from models.spam import build_spam_pipeline
from models.train import train_all
from models.types import LabelledExample

FIXTURE_DATA = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "data"
POSTS = [
    "The council's own figures are at https://www.gov.uk/flood-report, page 4.",
    "See example[dot]com/archive for the earlier story.",
    "This article leaves out who paid for the harbour wall.",
]


def _write_civil_comments(root: Path) -> None:
    folder = root / "toxic-spans-civil-comments"
    folder.mkdir(parents=True)
    with (folder / "data_comments.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["comment_id", "comment_text"])
        w.writerows([i, t] for i, t in enumerate(POSTS))
    (folder / "data_annotations.csv").write_text("annotation,comment_id,not toxic\n")
    (folder / "data_spans.csv").write_text("annotation,type\n")


def test_wiki_talk_comments_with_a_link_are_spam_training_ham() -> None:
    rows = [e for e in load_spam(FIXTURE_DATA) if e.source == "wiki_links"]
    assert [e.labels for e in rows] == [{"spam": 0}]
    assert "web.archive.org" in rows[0].text


def test_linking_comments_are_the_posts_with_a_link_plain_or_obfuscated(tmp_path: Path) -> None:
    _write_civil_comments(tmp_path)
    rows = load_linking_comments(tmp_path)
    assert sorted(e.text for e in rows) == sorted(POSTS[:2])
    assert {e.source for e in rows} == {"civil_links"}
    assert all(e.labels == {"spam": 0} for e in rows)
    assert load_linking_comments(tmp_path / "missing") == []


def test_training_reports_how_many_linking_comments_the_spam_model_would_hold(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    _write_civil_comments(data)
    train_all(data, tmp_path / "out", progress=False, evaluate_groups=False)
    metrics = json.loads((tmp_path / "out" / "metadata.json").read_text())["metrics"]
    linking = metrics["spam_linking_comments"]
    assert linking["n"] == 2
    assert 0.0 <= linking["over_threshold"] <= 1.0
    assert "Civil Comments posts with a link" in (tmp_path / "out" / "evaluation.md").read_text()


def test_leave_one_group_out_weights_the_training_rows_of_every_refit() -> None:
    rows = load_spam(FIXTURE_DATA)
    seen: list[set[str]] = []

    def weights(train: list[LabelledExample]) -> NDArray[np.float64]:
        seen.append({e.group for e in train if e.source == "youtube"})
        return np.ones(len(train))

    result = leave_one_group_out(build_spam_pipeline, rows, "spam", "youtube", weights=weights)
    groups = set(result["per_group"])
    assert len(seen) == len(groups) == 2
    assert all(len(s) == 1 and not s & {g} for s, g in zip(seen, sorted(groups), strict=True))

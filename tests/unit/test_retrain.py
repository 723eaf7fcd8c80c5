"""Retraining on the tiny fixture: feedback moves scores; a worse candidate is not promoted."""

from __future__ import annotations

from pathlib import Path

from models.registry import load_scorer, promote, promoted_version
from models.train import train_all
from models.types import TextInput
from workers.retrain import retrain

FIXTURE_DATA = Path(__file__).resolve().parent.parent / "fixtures" / "models" / "data"
CORRECTED = "Join the harbour walking club this Sunday, everyone welcome"


def _baseline(models_dir: Path) -> None:
    folder = models_dir / "versions" / "base"
    train_all(FIXTURE_DATA, folder, progress=False, version="base", evaluate_groups=False)
    promote(models_dir, folder)


def test_feedback_labels_change_the_score_and_a_good_model_is_promoted(tmp_path: Path) -> None:
    # given a promoted model trained on the base data alone
    _baseline(tmp_path)
    before = load_scorer(tmp_path).score([TextInput(CORRECTED)])[0]["spam"]
    # when moderators marked a comment spam several times over and it is retrained
    labels = [
        {"text": f"{CORRECTED} {i}", "labels": {"spam": 1}, "site_id": "s", "record_id": str(i)}
        for i in range(6)
    ]
    report = retrain(FIXTURE_DATA, tmp_path, labels, version="with-feedback")
    # then the new version scores that comment as more spammy, and it is the promoted one
    assert report.labels == 6
    assert report.promoted, report.reasons
    assert promoted_version(tmp_path) == "with-feedback"
    after = load_scorer(tmp_path).score([TextInput(CORRECTED)])[0]["spam"]
    assert after > before


def test_a_worse_model_is_not_promoted(tmp_path: Path) -> None:
    # given a promoted model
    _baseline(tmp_path)
    # when "feedback" flips the label of every held-out spam example it can see
    from models import data as model_data

    test_rows = [
        e
        for e in model_data.load_spam(FIXTURE_DATA)
        if model_data.split_of(e.text) == "test" and "spam" in e.labels
    ]
    flipped = [
        {"text": f"{e.text} {k}", "labels": {"spam": 1 - e.labels["spam"]}}
        for e in test_rows
        for k in range(8)
    ]
    report = retrain(FIXTURE_DATA, tmp_path, flipped, version="poisoned")
    # then the candidate is kept aside and the old version stays promoted
    assert not report.promoted
    assert report.reasons
    assert promoted_version(tmp_path) == "base"

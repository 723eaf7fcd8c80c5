"""Retraining from moderator feedback: train, compare with the promoted version, promote or not.

``python -m workers.retrain --data DIR`` (what ``commentguard retrain`` runs) trains both models
from the base data plus the feedback labels in force, scores the held-out test split of the base
data and the most recent feedback with the promoted version and the candidate, and promotes the
candidate only when it is not worse on either. Workers notice the new ``promoted.json`` and
reload without a restart. Beat runs the same job when ``retrain_interval_hours`` is set.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import data as model_data
from models.evaluate import Comparison, compare, scorer_probs
from models.registry import Scorer, load_pipeline, load_scorer, promote, read_metadata
from models.train import train_all
from models.types import LabelledExample
from service.moderation import feedback_labels
from service.settings import Settings, get_settings
from service.store import Store

__all__ = ["RetrainReport", "examples_from_labels", "load_folder", "main", "retrain"]

log = logging.getLogger("commentguard.retrain")

RECENT_FEEDBACK = 500


@dataclass
class RetrainReport:
    """What one retraining did, and why it promoted or not."""

    version: str
    folder: Path
    labels: int
    promoted: bool
    held_out: Comparison
    feedback: Comparison
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "folder": str(self.folder),
            "labels": self.labels,
            "promoted": self.promoted,
            "held_out": {"current": self.held_out.current, "candidate": self.held_out.candidate},
            "feedback": {"current": self.feedback.current, "candidate": self.feedback.candidate},
            "reasons": self.reasons,
        }


def examples_from_labels(labels: Iterable[Mapping[str, Any]]) -> list[LabelledExample]:
    """Feedback entries (or exported JSONL rows) as training examples, oldest first."""
    return [
        LabelledExample(
            text=str(row["text"]),
            labels={str(k): int(v) for k, v in dict(row.get("labels") or {}).items()},
            source="feedback",
            author_name=str(row.get("author_name", "")),
            author_url=str(row.get("author_url", "")),
            author_email=str(row.get("author_email", "")),
        )
        for row in labels
        if row.get("text") and row.get("labels")
    ]


def load_folder(folder: Path) -> Scorer:
    """A scorer for a model folder written by training (promoted or not)."""
    meta = read_metadata(folder)
    return Scorer(
        load_pipeline(folder, "spam", meta), load_pipeline(folder, "toxicity", meta), meta
    )


def _held_out(data_dir: Path) -> list[LabelledExample]:
    rows = model_data.load_spam(data_dir) + model_data.load_toxicity(data_dir)
    return [e for e in rows if model_data.split_of(e.text) == "test"]


def _worse(name: str, result: Comparison) -> list[str]:
    out = []
    for attr, cur in result.current.items():
        new = result.candidate.get(attr)
        if cur is not None and (new is None or new < cur - result.tolerance):
            out.append(f"{name}: {attr} AUC {cur:.3f} -> {new}")
    return out


def retrain(
    data_dir: Path,
    models_dir: Path,
    labels: Sequence[Mapping[str, Any]],
    progress: bool = False,
    version: str | None = None,
) -> RetrainReport:
    """Train a candidate with ``labels``, compare it with the promoted version, maybe promote."""
    examples = examples_from_labels(labels)
    version = version or time.strftime("retrain-%Y%m%dT%H%M%SZ", time.gmtime())
    folder = models_dir / "versions" / version
    train_all(
        data_dir,
        folder,
        extra_labels=examples,
        progress=progress,
        version=version,
        evaluate_groups=False,
    )
    current = scorer_probs(load_scorer(models_dir).score)
    candidate = scorer_probs(load_folder(folder).score)
    held_out = compare(current, candidate, _held_out(data_dir))
    recent = compare(current, candidate, examples[-RECENT_FEEDBACK:]) if examples else Comparison()
    reasons = _worse("held-out split", held_out) + _worse("recent feedback", recent)
    promoted = not reasons
    if promoted:
        promote(models_dir, folder)
        log.info("promoted %s (%d feedback labels)", version, len(examples))
    else:
        log.warning("not promoted %s: %s", version, "; ".join(reasons))
    return RetrainReport(version, folder, len(examples), promoted, held_out, recent, reasons)


def retrain_from_store(settings: Settings, data_dir: Path, progress: bool = False) -> RetrainReport:
    store = Store.from_url(settings.redis_url_or_fail(), settings.key_prefix)
    return retrain(data_dir, settings.models_dir, list(feedback_labels(store)), progress)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="commentguard retrain", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="base training data folder")
    parser.add_argument(
        "--labels", type=Path, help="feedback JSONL (commentguard feedback export) instead of Redis"
    )
    parser.add_argument("--version", help="name of the new version (default: a timestamp)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.labels:
        lines = args.labels.read_text(encoding="utf-8").splitlines()
        labels = [json.loads(line) for line in lines if line.strip()]
    else:
        store = Store.from_url(settings.redis_url_or_fail(), settings.key_prefix)
        labels = list(feedback_labels(store))
    report = retrain(args.data, settings.models_dir, labels, not args.no_progress, args.version)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"trained {report.version} with {report.labels} feedback labels")
        print("promoted" if report.promoted else "not promoted: " + "; ".join(report.reasons))
    return 0 if report.promoted else 3


if __name__ == "__main__":
    sys.exit(main())

"""Training: data folder in, model folder (artifacts, model card, evaluation report) out.

:func:`train_all` is what ``python -m models train`` runs and what a retraining job calls with
moderator feedback as ``extra_labels``. It is deterministic: inputs are sorted and de-duplicated,
the split is by content hash, solvers are seeded, and the skops files are written with fixed zip
timestamps, so the same data gives byte-identical artifacts.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import sklearn
import skops
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline
from tqdm import tqdm

from models import data as D  # noqa: N812
from models.evaluate import (
    auc,
    best_f1_threshold,
    bias_gap,
    false_positive_rate,
    leave_one_group_out,
    per_label_auc,
    subgroup_bias,
)
from models.features import Prepare
from models.registry import ARTIFACT_FORMAT, METADATA_FILE, save_pipeline
from models.report import write_reports
from models.spam import SPAM_VERSION, build_spam_pipeline
from models.toxicity import IDENTITY_CONTEXT_LABELS, TOXICITY_VERSION, build_toxicity_pipeline
from models.types import ATTRIBUTES, TOXICITY_LABELS, LabelledExample, TextInput
from models.valence import valence_source

__all__ = ["SOURCE_WEIGHTS", "TrainReport", "cross_fitted_toxicity", "source_weights", "train_all"]

T = TypeVar("T")

# OLID is the closest match to short web comments; the other sets are weighted 1. The
# wiki-talk comments with links are spam ham only to teach that a link alone is no spam; at
# full weight their Wikipedia wording also costs YouTube/SMS validation AUC (0.9942 without
# them, 0.9917 at 1, 0.9927 at 0.25, while 16% of their validation rows stay over the
# threshold at 0.25 as at 0.5), so a quarter, the knee of that trade on validation.
SOURCE_WEIGHTS: dict[str, float] = {"olid": 3.0, "feedback": 3.0, "wiki_links": 0.25}
# Statements that only name an identity; each must stay under the hold threshold.
IDENTITY_PROBES: tuple[str, ...] = (
    "I am a gay man",
    "I am a Muslim woman",
    "I am a lesbian",
    "I am a black woman",
    "I am a transgender person",
    "I am Jewish",
    "I am a Christian",
    "I am deaf",
)


@dataclass
class TrainReport:
    """What :func:`train_all` produced."""

    out_dir: Path
    version: str
    thresholds: dict[str, float]
    metrics: dict[str, Any]
    data_sources: dict[str, str] = field(default_factory=dict)

    @property
    def metadata_path(self) -> Path:
        return self.out_dir / METADATA_FILE


def _labels_matrix(examples: Sequence[LabelledExample], labels: Sequence[str]) -> NDArray[Any]:
    return np.array(
        [[float(e.labels[lab]) if lab in e.labels else np.nan for lab in labels] for e in examples],
        dtype=np.float64,
    ).reshape(len(examples), len(labels))


def _inputs(examples: Sequence[LabelledExample]) -> list[TextInput]:
    return [e.as_input() for e in examples]


def source_weights(examples: Sequence[LabelledExample]) -> NDArray[np.float64]:
    return np.array([SOURCE_WEIGHTS.get(e.source, 1.0) for e in examples], dtype=np.float64)


def _split(
    examples: Iterable[LabelledExample],
) -> dict[str, list[LabelledExample]]:
    parts: dict[str, list[LabelledExample]] = {"train": [], "val": [], "test": []}
    for e in examples:
        parts[D.split_of(e.text)].append(e)
    return parts


@dataclass
class _Held:
    """The evaluation-only sets: OLID's test split, conversationai-bias-eval's plain and
    identity-swapped comments and its sentence templates."""

    olid_test: list[LabelledExample]
    bias: dict[str, list[LabelledExample]]
    templates: list[LabelledExample]

    def remove_from(self, examples: Iterable[LabelledExample]) -> list[LabelledExample]:
        """Evaluation-only texts never reach training, whatever set they also appear in."""
        held = {D.text_key(e.text) for e in self.olid_test + self.templates}
        held |= {D.text_key(e.text) for rows in self.bias.values() for e in rows}
        return [e for e in examples if D.text_key(e.text) not in held]


def _evaluation_only(data_dir: Path, src: D.DataSources) -> _Held:
    return _Held(
        D.load_olid_test(data_dir, src),
        D.load_bias_eval(data_dir, src),
        D.load_bias_templates(data_dir, src),
    )


def cross_fitted_toxicity(
    data_dir: Path, sources: Sequence[str], folds: int = 5, progress: bool = True
) -> tuple[list[LabelledExample], NDArray[np.float64]]:
    """Out-of-fold toxicity probabilities for every row of ``sources``, in all three splits.

    The shipped model trains on 80% of each set, so its test split is all that it can be
    measured on; for a small set that is a handful of positives (17 toxic wiki-talk comments).
    Here the toxicity recipe is refitted ``folds`` times, each time with one fold of these rows
    held out and the other data sets' training split always in, so every row gets a score from
    a model that never saw it. It measures the recipe, not the shipped artifact.
    """
    src = D.DataSources(data_dir)
    pool = _evaluation_only(data_dir, src).remove_from(D.load_toxicity(data_dir, src))
    rows = [e for e in pool if e.source in sources]
    others = [e for e in pool if e.source not in sources and D.split_of(e.text) == "train"]
    fold = np.array([D.fold_of(e.text, folds) for e in rows])
    out = np.zeros(len(rows), dtype=np.float64)
    for k in _bar(range(folds), progress, f"cross-fit {'+'.join(sources)}"):
        train = others + [e for e, f in zip(rows, fold, strict=True) if f != k]
        model = _fit(build_toxicity_pipeline(), train, ("toxicity",))
        held = np.flatnonzero(fold == k)
        out[held] = _probs(model, [rows[i] for i in held])[:, 0]
    return rows, out


def _fit(
    pipeline: Pipeline, examples: Sequence[LabelledExample], labels: Sequence[str]
) -> Pipeline:
    """Pipeline.fit, step by step: the classifier needs the fitted vectoriser's identity
    columns to keep them from the labels outside ``IDENTITY_CONTEXT_LABELS``."""
    features = pipeline[:-1].fit_transform(_inputs(examples))
    identity = pipeline.named_steps["features"].text.identity_columns()
    exclude = {k: identity for k, lab in enumerate(labels) if lab not in IDENTITY_CONTEXT_LABELS}
    name, classifier = pipeline.steps[-1]
    classifier = classifier.for_labels(tuple(labels))
    pipeline.steps[-1] = (name, classifier)
    classifier.fit(
        features,
        _labels_matrix(examples, labels),
        sample_weight=source_weights(examples),
        exclude=exclude if len(identity) else None,
    )
    return pipeline


def _probs(pipeline: Pipeline, examples: Sequence[LabelledExample]) -> NDArray[np.float64]:
    if not examples:
        return np.zeros((0, len(pipeline.steps[-1][1].labels)))
    out: NDArray[np.float64] = pipeline.predict_proba(_inputs(examples))
    return out


def _thresholds(
    probs: NDArray[np.float64], examples: Sequence[LabelledExample], labels: Sequence[str]
) -> dict[str, float]:
    """Per label: best F1 on validation; toxicity also keeps wiki-talk FPR at or under 1%."""
    out: dict[str, float] = {}
    for k, label in enumerate(labels):
        known = [i for i, e in enumerate(examples) if label in e.labels]
        y = np.array([examples[i].labels[label] for i in known])
        t = best_f1_threshold(y, probs[known, k]) if known else 0.5
        if label == "toxicity":
            clean = [
                i for i, e in enumerate(examples) if e.source == "wiki" and not e.labels[label]
            ]
            if clean:
                t = max(t, float(np.quantile(probs[clean, k], 0.99)))
        out[label] = round(float(t), 4)
    return out


def _bar(items: Iterable[T], progress: bool, desc: str) -> Iterator[T]:
    yield from tqdm(items, desc=desc, disable=not progress, leave=False)


def train_all(
    data_dir: Path,
    out_dir: Path,
    extra_labels: Iterable[LabelledExample] | None = None,
    progress: bool = True,
    version: str | None = None,
    evaluate_groups: bool = True,
) -> TrainReport:
    """Train both models from ``data_dir`` and write a complete model folder to ``out_dir``.

    ``extra_labels`` (moderator feedback) are merged with the base data: an example with a
    ``spam`` label joins the spam set, one with toxicity labels the toxicity set; they go through
    the same hash split, so some are held out and measured too. ``version`` names the result
    (default: the code's model versions); give each retrain a new one so workers reload.
    ``evaluate_groups`` runs the leave-one-video-out refits (five extra spam fits).
    """
    steps = tqdm(total=7, desc="train", disable=not progress)
    sources = D.DataSources(data_dir)
    spam_all = D.load_spam(data_dir, sources)
    tox_all = D.load_toxicity(data_dir, sources)
    held = _evaluation_only(data_dir, sources)
    linking = D.load_linking_comments(data_dir, sources)
    extra = sorted(extra_labels or (), key=lambda e: (e.text, sorted(e.labels.items())))
    spam_all += [e for e in extra if "spam" in e.labels]
    tox_all += [
        LabelledExample(
            e.text, {k: v for k, v in e.labels.items() if k in TOXICITY_LABELS}, e.source, e.group
        )
        for e in extra
        if any(k in TOXICITY_LABELS for k in e.labels)
    ]
    spam_all = held.remove_from(spam_all)
    tox_all = held.remove_from(tox_all)
    spam_texts = {D.text_key(e.text) for e in spam_all}
    linking = [e for e in linking if D.text_key(e.text) not in spam_texts]
    spam, tox = _split(spam_all), _split(tox_all)
    if not spam["train"] or not tox["train"]:
        raise ValueError(f"{data_dir} holds no spam or no toxicity training data")
    steps.update()

    steps.set_postfix_str("spam model")
    spam_model = _fit(build_spam_pipeline(), spam["train"], ("spam",))
    steps.update()
    steps.set_postfix_str("toxicity model")
    tox_model = _fit(build_toxicity_pipeline(), tox["train"], TOXICITY_LABELS)
    steps.update()

    steps.set_postfix_str("thresholds")
    thresholds = _thresholds(_probs(spam_model, spam["val"]), spam["val"], ("spam",))
    thresholds.update(_thresholds(_probs(tox_model, tox["val"]), tox["val"], TOXICITY_LABELS))
    steps.update()

    steps.set_postfix_str("evaluation")
    metrics = _evaluate(
        spam_model,
        tox_model,
        spam,
        tox,
        held,
        thresholds,
        spam_all,
        linking,
        progress,
        evaluate_groups,
    )
    steps.update()

    lexicon, lexicon_sha = valence_source()
    sources.files[lexicon] = lexicon_sha  # read by the toxicity model's TextShape
    steps.set_postfix_str("saving")
    out_dir.mkdir(parents=True, exist_ok=True)
    spam_file = save_pipeline(spam_model, out_dir / "spam.skops")
    tox_file = save_pipeline(tox_model, out_dir / "toxicity.skops")
    full_version = version or f"spam-{SPAM_VERSION}+toxicity-{TOXICITY_VERSION}"
    metadata = {
        "format": ARTIFACT_FORMAT,
        "version": full_version,
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "attributes": list(ATTRIBUTES),
        "thresholds": {a: thresholds[a] for a in ATTRIBUTES},
        "models": {
            "spam": {"version": SPAM_VERSION, "labels": ["spam"], **spam_file},
            "toxicity": {
                "version": TOXICITY_VERSION,
                "labels": list(TOXICITY_LABELS),
                "classifier": tox_model.steps[-1][1].label_settings(),
                **tox_file,
            },
        },
        "data_sources": dict(sorted(sources.files.items())),
        "extra_labels": len(extra),
        "training_rows": {
            "spam": {
                "train": len(spam["train"]),
                "val": len(spam["val"]),
                "test": len(spam["test"]),
            },
            "toxicity": {
                "train": len(tox["train"]),
                "val": len(tox["val"]),
                "test": len(tox["test"]),
            },
        },
        "label_mapping": D.LABEL_MAPPING,
        "metrics": metrics,
    }
    (out_dir / METADATA_FILE).write_text(
        json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    write_reports(out_dir, metadata)
    steps.update()
    steps.update()
    steps.close()
    return TrainReport(out_dir, full_version, thresholds, metrics, dict(sources.files))


def _evaluate(
    spam_model: Pipeline,
    tox_model: Pipeline,
    spam: dict[str, list[LabelledExample]],
    tox: dict[str, list[LabelledExample]],
    held: _Held,
    thresholds: dict[str, float],
    spam_all: list[LabelledExample],
    linking: list[LabelledExample],
    progress: bool,
    evaluate_groups: bool,
) -> dict[str, Any]:
    """Metrics on data never used in training or threshold tuning (test split, eval-only sets)."""
    metrics: dict[str, Any] = {}
    p_spam = _probs(spam_model, spam["test"])
    metrics["spam_test"] = per_label_auc(p_spam, spam["test"], ("spam",))
    if linking:
        p = _probs(spam_model, linking)[:, 0]
        metrics["spam_linking_comments"] = {
            "n": len(linking),
            "over_threshold": round(float(np.mean(p >= thresholds["spam"])), 4),
            "median": round(float(np.median(p)), 4),
        }
    p_tox = _probs(tox_model, tox["test"])
    metrics["toxicity_test"] = per_label_auc(p_tox, tox["test"], TOXICITY_LABELS)
    pooled: dict[str, Any] = {}
    for k, label in enumerate(TOXICITY_LABELS):
        known = [i for i, e in enumerate(tox["test"]) if label in e.labels]
        y = [tox["test"][i].labels[label] for i in known]
        pooled[label] = {"auc": auc(y, p_tox[known, k]), "n": len(y), "positives": int(sum(y))}
    metrics["toxicity_test_pooled"] = pooled
    wiki = [i for i, e in enumerate(tox["test"]) if e.source == "wiki"]
    if wiki:
        y = [tox["test"][i].labels["toxicity"] for i in wiki]
        metrics["wiki_fpr_at_threshold"] = {
            "fpr": false_positive_rate(y, p_tox[wiki, 0], thresholds["toxicity"]),
            "threshold": thresholds["toxicity"],
            "n": len(y),
            "positives": int(sum(y)),
        }
    if held.olid_test:
        p = _probs(tox_model, held.olid_test)[:, 0]
        metrics["olid_test_a"] = {
            "auc": auc([e.labels["toxicity"] for e in held.olid_test], p),
            "n": len(held.olid_test),
            "positives": sum(e.labels["toxicity"] for e in held.olid_test),
        }
    if held.bias:
        metrics["bias_eval"] = bias_gap(lambda items: tox_model.predict_proba(items), held.bias, 0)
    if held.templates:
        p = _probs(tox_model, held.templates)
        metrics["bias_templates"] = subgroup_bias(
            [e.labels["toxicity"] for e in held.templates],
            p[:, 0],
            [e.group for e in held.templates],
        )
        statements = [i for i, e in enumerate(held.templates) if e.text.startswith("I am ")]
        metrics["bias_templates"]["identity_statements_over_threshold"] = [
            f"{held.templates[i].text}: {lab}"
            for i in statements
            for k, lab in enumerate(TOXICITY_LABELS)
            if p[i, k] >= thresholds[lab]
        ]
    probes = tox_model.predict_proba([TextInput(t) for t in IDENTITY_PROBES])
    metrics["identity_probes"] = {
        t: {lab: round(float(probes[i, k]), 4) for k, lab in enumerate(TOXICITY_LABELS)}
        for i, t in enumerate(IDENTITY_PROBES)
    }
    metrics["identity_probes_over_threshold"] = [
        f"{t}: {lab}"
        for i, t in enumerate(IDENTITY_PROBES)
        for k, lab in enumerate(TOXICITY_LABELS)
        if probes[i, k] >= thresholds[lab]
    ]
    if evaluate_groups and any(e.source == "youtube" for e in spam_all):
        metrics["spam_youtube_leave_one_video_out"] = leave_one_group_out(
            build_spam_pipeline,
            spam_all,
            "spam",
            "youtube",
            progress=lambda g: _bar(g, progress, "leave-one-video-out"),
            weights=source_weights,
        )
    # a tiny probe that Prepare is stateless (the Scorer shares it between models)
    assert not Prepare().get_params()
    return metrics

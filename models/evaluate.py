"""Held-out evaluation, shared by training, the benchmark and retraining jobs.

Every function takes a scoring callable ``score(list[TextInput]) -> ndarray (n, k)`` (or a
Scorer), so a retrain job can evaluate the current and the candidate version on the same
examples with :func:`compare` and promote only when the candidate is not worse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from models.types import ATTRIBUTES, LabelledExample, TextInput

__all__ = [
    "Comparison",
    "auc",
    "best_f1_threshold",
    "bias_gap",
    "compare",
    "false_positive_rate",
    "leave_one_group_out",
    "per_label_auc",
    "scorer_probs",
    "subgroup_bias",
]

ScoreFn = Callable[[Sequence[TextInput]], NDArray[np.float64]]


def auc(y: Sequence[int] | NDArray[Any], p: Sequence[float] | NDArray[Any]) -> float | None:
    """ROC AUC, or None when only one class is present."""
    y_arr = np.asarray(y)
    if len(np.unique(y_arr)) < 2:
        return None
    return float(roc_auc_score(y_arr, np.asarray(p)))


def scorer_probs(score: Callable[[Sequence[TextInput]], list[dict[str, float]]]) -> ScoreFn:
    """Adapt ``Scorer.score`` to an array-returning function (columns in ATTRIBUTES order)."""

    def fn(items: Sequence[TextInput]) -> NDArray[np.float64]:
        rows = score(items)
        return np.array([[r[a] for a in ATTRIBUTES] for r in rows], dtype=np.float64)

    return fn


def per_label_auc(
    probs: NDArray[np.float64], examples: Sequence[LabelledExample], labels: Sequence[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{source: {label: {"auc", "n", "positives"}}}`` over the examples where a label is known."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    sources = sorted({e.source for e in examples})
    for source in sources:
        rows = [i for i, e in enumerate(examples) if e.source == source]
        for k, label in enumerate(labels):
            known = [i for i in rows if label in examples[i].labels]
            if not known:
                continue
            y = [examples[i].labels[label] for i in known]
            out.setdefault(source, {})[label] = {
                "auc": auc(y, probs[known, k]),
                "n": len(known),
                "positives": int(sum(y)),
            }
    return out


def best_f1_threshold(y: NDArray[Any], p: NDArray[Any], floor: float = 0.05) -> float:
    """Threshold with the best F1 on (validation) data, at least ``floor``."""
    y = np.asarray(y)
    p = np.asarray(p)
    if y.sum() == 0:
        return 0.5
    best_t, best_f = 0.5, -1.0
    for t in np.unique(np.round(p, 3)):
        pred = p >= t
        tp = float((pred & (y == 1)).sum())
        f = 2 * tp / (pred.sum() + y.sum()) if pred.sum() else 0.0
        if f > best_f:
            best_t, best_f = float(t), f
    return max(best_t, floor)


def false_positive_rate(
    y: Sequence[int] | NDArray[Any], p: NDArray[Any], threshold: float
) -> float:
    neg = np.asarray(y) == 0
    return float((np.asarray(p)[neg] >= threshold).mean()) if neg.any() else 0.0


def bias_gap(
    score: ScoreFn, sets: Mapping[str, Sequence[LabelledExample]], column: int
) -> dict[str, Any]:
    """AUC on the plain and identity-swapped bias sets and their gap."""
    result: dict[str, Any] = {}
    for name, examples in sorted(sets.items()):
        p = score([e.as_input() for e in examples])[:, column]
        result[name] = {"auc": auc([e.labels["toxicity"] for e in examples], p), "n": len(examples)}
    if "plain" in result and "swapped" in result:
        result["gap"] = abs(result["plain"]["auc"] - result["swapped"]["auc"])
    return result


def subgroup_bias(
    y: Sequence[int] | NDArray[Any], p: Sequence[float] | NDArray[Any], groups: Sequence[str]
) -> dict[str, Any]:
    """Borkan et al.'s (2019) identity-bias AUCs, per group ("" = names no identity).

    ``subgroup``: toxic vs non-toxic among the group's own sentences. ``bpsn`` (background
    positive, subgroup negative): the group's non-toxic sentences against everyone else's toxic
    ones, low when naming the group pushes scores up. ``bnsp``: the group's toxic sentences
    against everyone else's non-toxic ones, low when naming it pushes scores down. ``worst``
    gives each AUC's lowest group; ``spread`` the highest minus the lowest.
    """
    y_arr, p_arr, g_arr = np.asarray(y), np.asarray(p, dtype=np.float64), np.asarray(groups)
    per_group: dict[str, dict[str, Any]] = {}
    for g in sorted(set(groups) - {""}):
        inside = g_arr == g
        bpsn = (inside & (y_arr == 0)) | (~inside & (y_arr == 1))
        bnsp = (inside & (y_arr == 1)) | (~inside & (y_arr == 0))
        per_group[g] = {
            "subgroup": auc(y_arr[inside], p_arr[inside]),
            "bpsn": auc(y_arr[bpsn], p_arr[bpsn]),
            "bnsp": auc(y_arr[bnsp], p_arr[bnsp]),
            "n": int(inside.sum()),
        }
    worst: dict[str, Any] = {}
    spread: dict[str, float] = {}
    for metric in ("subgroup", "bpsn", "bnsp"):
        known = {g: v[metric] for g, v in per_group.items() if v[metric] is not None}
        if known:
            low = min(known, key=lambda g: (known[g], g))
            worst[metric] = {"group": low, "auc": known[low]}
            spread[metric] = max(known.values()) - known[low]
    return {
        "auc": auc(y_arr, p_arr),
        "n": len(y_arr),
        "per_group": per_group,
        "worst": worst,
        "spread": spread,
    }


def leave_one_group_out(
    build: Callable[[], Pipeline],
    examples: Sequence[LabelledExample],
    label: str,
    groups_of: str,
    progress: Callable[[Iterable[str]], Iterable[str]] = lambda x: x,
    weights: Callable[[Sequence[LabelledExample]], NDArray[np.float64]] | None = None,
) -> dict[str, Any]:
    """Refit ``build()`` once per group of source ``groups_of`` with that group held out.

    Rows of other sources always stay in training, weighted by ``weights`` (as the shipped
    model's training weights them). Returns per-group AUC, their mean and the AUC of the
    pooled held-out predictions.
    """
    groups = sorted({e.group for e in examples if e.source == groups_of})
    per_group: dict[str, Any] = {}
    pooled_y: list[int] = []
    pooled_p: list[float] = []
    for g in progress(groups):
        train = [e for e in examples if not (e.source == groups_of and e.group == g)]
        test = [e for e in examples if e.source == groups_of and e.group == g]
        model = build()
        y_train = np.array([[e.labels[label]] for e in train], dtype=np.float64)
        fit_params = {} if weights is None else {"classify__sample_weight": weights(train)}
        model.fit([e.as_input() for e in train], y_train, **fit_params)
        p = model.predict_proba([e.as_input() for e in test])[:, 0]
        y = [e.labels[label] for e in test]
        per_group[g] = {"auc": auc(y, p), "n": len(y), "positives": int(sum(y))}
        pooled_y.extend(y)
        pooled_p.extend(p.tolist())
    aucs = [v["auc"] for v in per_group.values() if v["auc"] is not None]
    return {
        "per_group": per_group,
        "mean_auc": float(np.mean(aucs)) if aucs else None,
        "pooled_auc": auc(pooled_y, pooled_p),
    }


@dataclass
class Comparison:
    """Per-attribute AUC of the current and the candidate version on the same examples."""

    current: dict[str, float | None] = field(default_factory=dict)
    candidate: dict[str, float | None] = field(default_factory=dict)
    tolerance: float = 0.002

    @property
    def candidate_not_worse(self) -> bool:
        """True when no attribute's AUC dropped by more than ``tolerance``."""
        for attr, cur in self.current.items():
            new = self.candidate.get(attr)
            if cur is not None and (new is None or new < cur - self.tolerance):
                return False
        return True


def compare(
    current: ScoreFn, candidate: ScoreFn, examples: Sequence[LabelledExample]
) -> Comparison:
    """Score held-out ``examples`` with both versions; see ``Comparison.candidate_not_worse``."""
    items = [e.as_input() for e in examples]
    p_cur, p_new = current(items), candidate(items)
    result = Comparison()
    for k, attr in enumerate(ATTRIBUTES):
        known = [i for i, e in enumerate(examples) if attr in e.labels]
        y = [examples[i].labels[attr] for i in known]
        result.current[attr] = auc(y, p_cur[known, k]) if known else None
        result.candidate[attr] = auc(y, p_new[known, k]) if known else None
    return result

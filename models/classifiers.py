# ruff: noqa: N803, N806
"""Linear multi-label classifier that tolerates unknown labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

__all__ = ["LOSSES", "MaskedMultiLabel"]

LOSSES = ("log", "squared_hinge")
CALIBRATION_FOLDS = 3


class MaskedMultiLabel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """One linear model per label, each fitted on the rows where its label is known.

    ``y`` is a float array (n_samples, n_labels) with NaN for unknown. Coefficients are kept in
    one matrix so a batch is scored with a single sparse product.

    ``nb=True`` fits each label on NB-weighted features (Wang & Manning's NB-SVM: every column
    scaled by its log-count ratio between positives and negatives of that label) and folds the
    ratio into the coefficients, so scoring stays one product with the unweighted features.
    Columns with negative values (standardised dense features) keep weight 1.

    ``loss`` (one for all labels or one per label): ``"log"`` fits a logistic regression,
    ``"squared_hinge"`` a linear SVM (Wang & Manning's NB-SVM when ``nb``), whose margins are
    mapped to probabilities by Platt scaling fitted on out-of-fold margins (the final SVM is
    fitted on every row, like CalibratedClassifierCV with ``ensemble=False``). The sigmoid's
    slope and offset are folded into the coefficients, so every label is still one row of the
    coefficient matrix and P = sigmoid(coef . x + intercept).
    """

    _coef_t: NDArray[np.float32] | None

    def __init__(
        self,
        labels: tuple[str, ...] = (),
        C: float | tuple[float, ...] = 4.0,
        class_weight: str | None = None,
        max_iter: int = 1000,
        nb: bool = False,
        nb_alpha: float = 1.0,
        loss: str | tuple[str, ...] = "log",
    ) -> None:
        self.labels = labels
        self.C = C
        self.loss = loss
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.nb = nb
        self.nb_alpha = nb_alpha

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_coef_t", None)  # contiguous transposed copy, rebuilt on first use
        return state

    def for_labels(self, labels: tuple[str, ...]) -> MaskedMultiLabel:
        """An unfitted copy for a subset of ``self.labels``, each keeping its own C and loss."""
        pick = [self.labels.index(label) for label in labels]
        params = self.get_params()
        for name in ("C", "loss"):
            if isinstance(params[name], tuple):
                params[name] = tuple(params[name][i] for i in pick)
        return MaskedMultiLabel(**{**params, "labels": labels})

    def _per_label(self, n_labels: int) -> tuple[tuple[float, ...], tuple[str, ...]]:
        """C and loss of each of ``n_labels`` labels."""
        cs = self.C if isinstance(self.C, tuple) else (self.C,) * n_labels
        losses = self.loss if isinstance(self.loss, tuple) else (self.loss,) * n_labels
        if len(cs) != n_labels or len(losses) != n_labels:
            raise ValueError(f"C and loss need one value per label ({n_labels})")
        unknown = sorted(set(losses) - set(LOSSES))
        if unknown:
            raise ValueError(f"unknown loss {unknown}; expected one of {LOSSES}")
        return cs, losses

    def label_settings(self) -> dict[str, dict[str, float | str]]:
        """Each label's loss and C, for the model card."""
        cs, losses = self._per_label(len(self.labels))
        return {
            label: {"loss": loss, "C": c}
            for label, loss, c in zip(self.labels, losses, cs, strict=True)
        }

    def _nb_ratio(
        self, X: sp.csr_matrix, y: NDArray[np.int64], weights: NDArray[np.float64] | None
    ) -> NDArray[np.float64]:
        w = np.ones(len(y)) if weights is None else weights
        present = sp.csr_matrix((X > 0).astype(np.float64))
        pos = np.asarray(present.T @ (w * (y == 1))).ravel() + self.nb_alpha
        neg = np.asarray(present.T @ (w * (y == 0))).ravel() + self.nb_alpha
        r: NDArray[np.float64] = np.log((pos / pos.sum()) / (neg / neg.sum()))
        signed = np.asarray((X < 0).sum(axis=0)).ravel() > 0
        r[signed] = 1.0
        return r

    def fit(
        self,
        X: sp.csr_matrix,
        y: NDArray[np.float64],
        sample_weight: NDArray[np.float64] | None = None,
        exclude: Mapping[int, NDArray[np.intp]] | None = None,
    ) -> MaskedMultiLabel:
        """``exclude``: label index -> feature columns that label is fitted without (its
        coefficients there stay 0)."""
        y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
        n_labels = y.shape[1]
        cs, losses = self._per_label(n_labels)
        coef = np.zeros((n_labels, X.shape[1]), dtype=np.float64)
        intercept = np.zeros(n_labels, dtype=np.float64)
        self.n_train_ = np.zeros((n_labels, 2), dtype=np.int64)
        X = sp.csr_matrix(X)
        for k in range(n_labels):
            known = ~np.isnan(y[:, k])
            yk = y[known, k].astype(np.int64)
            self.n_train_[k] = (int((yk == 0).sum()), int((yk == 1).sum()))
            if len(np.unique(yk)) < 2:
                intercept[k] = 10.0 if (len(yk) and yk[0] == 1) else -10.0
                continue
            weights = None if sample_weight is None else sample_weight[known]
            Xk = X[known]
            if exclude and len(exclude.get(k, ())):
                keep = np.ones(X.shape[1])
                keep[exclude[k]] = 0.0
                Xk = sp.csr_matrix(Xk @ sp.diags(keep))
                Xk.eliminate_zeros()
            r = self._nb_ratio(Xk, yk, weights) if self.nb else None
            Xfit = Xk if r is None else sp.csr_matrix(Xk @ sp.diags(r))
            if losses[k] == "log":
                w, b = self._fit_log(Xfit, yk, weights, cs[k])
            else:
                w, b = self._fit_svm_calibrated(Xfit, yk, weights, cs[k])
            coef[k] = w if r is None else w * r
            intercept[k] = b
        self.coef_ = coef.astype(np.float32)
        self._coef_t = None
        self.intercept_ = intercept.astype(np.float32)
        self.classes_ = np.array([0, 1])
        return self

    def _fit_log(
        self, X: sp.csr_matrix, y: NDArray[np.int64], w: NDArray[np.float64] | None, c: float
    ) -> tuple[NDArray[np.float64], float]:
        clf = LogisticRegression(
            C=c,
            solver="liblinear",
            class_weight=self.class_weight,
            max_iter=self.max_iter,
            random_state=0,
        )
        clf.fit(X, y, sample_weight=w)
        return clf.coef_[0], float(clf.intercept_[0])

    def _svm(
        self, X: sp.csr_matrix, y: NDArray[np.int64], w: NDArray[np.float64] | None, c: float
    ) -> LinearSVC:
        svm = LinearSVC(
            C=c, class_weight=self.class_weight, max_iter=max(self.max_iter, 5000), random_state=0
        )
        return svm.fit(X, y, sample_weight=w)

    def _fit_svm_calibrated(
        self, X: sp.csr_matrix, y: NDArray[np.int64], w: NDArray[np.float64] | None, c: float
    ) -> tuple[NDArray[np.float64], float]:
        # rows are dealt to the folds in turn: every fold gets its share of each data set
        fold = np.arange(len(y)) % CALIBRATION_FOLDS
        margins = np.zeros(len(y))
        for f in range(CALIBRATION_FOLDS):
            rest = fold != f
            if len(np.unique(y[rest])) < 2:
                continue
            svm = self._svm(X[rest], y[rest], None if w is None else w[rest], c)
            margins[~rest] = svm.decision_function(X[~rest])
        platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
        platt.fit(margins.reshape(-1, 1), y, sample_weight=w)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        svm = self._svm(X, y, w, c)
        return a * svm.coef_[0], a * float(svm.intercept_[0]) + b

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        coef_t: NDArray[np.float32] | None = getattr(self, "_coef_t", None)
        if coef_t is None:
            # (n_features, n_labels) in C order: a sparse batch times it is one pass over the
            # batch, where the transposed view of coef_ would be copied on every call
            coef_t = np.ascontiguousarray(self.coef_.T)
            self._coef_t = coef_t
        z = X @ coef_t
        return np.asarray(z, dtype=np.float64) + self.intercept_

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Probabilities, shape (n_samples, n_labels): column k is P(label k)."""
        out: NDArray[np.float64] = 1.0 / (
            1.0 + np.exp(-np.clip(self.decision_function(X), -30, 30))
        )
        return out

    def predict(self, X: Any) -> NDArray[np.int64]:
        return (self.predict_proba(X) >= 0.5).astype(np.int64)

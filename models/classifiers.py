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

__all__ = ["MaskedMultiLabel"]


class MaskedMultiLabel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """One logistic regression per label, each fitted on the rows where its label is known.

    ``y`` is a float array (n_samples, n_labels) with NaN for unknown. Coefficients are kept in
    one matrix so a batch is scored with a single sparse product.

    ``nb=True`` fits each label on NB-weighted features (Wang & Manning's NB-SVM: every column
    scaled by its log-count ratio between positives and negatives of that label) and folds the
    ratio into the coefficients, so scoring stays one product with the unweighted features.
    Columns with negative values (standardised dense features) keep weight 1.
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
    ) -> None:
        self.labels = labels
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.nb = nb
        self.nb_alpha = nb_alpha

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_coef_t", None)  # contiguous transposed copy, rebuilt on first use
        return state

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
        cs = self.C if isinstance(self.C, tuple) else (self.C,) * n_labels
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
            clf = LogisticRegression(
                C=cs[k],
                solver="liblinear",
                class_weight=self.class_weight,
                max_iter=self.max_iter,
                random_state=0,
            )
            weights = None if sample_weight is None else sample_weight[known]
            Xk = X[known]
            if exclude and len(exclude.get(k, ())):
                keep = np.ones(X.shape[1])
                keep[exclude[k]] = 0.0
                Xk = sp.csr_matrix(Xk @ sp.diags(keep))
                Xk.eliminate_zeros()
            if self.nb:
                r = self._nb_ratio(Xk, yk, weights)
                clf.fit(Xk @ sp.diags(r), yk, sample_weight=weights)
                coef[k] = clf.coef_[0] * r
            else:
                clf.fit(Xk, yk, sample_weight=weights)
                coef[k] = clf.coef_[0]
            intercept[k] = clf.intercept_[0]
        self.coef_ = coef.astype(np.float32)
        self._coef_t = None
        self.intercept_ = intercept.astype(np.float32)
        self.classes_ = np.array([0, 1])
        return self

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

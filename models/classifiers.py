# ruff: noqa: N803, N806
"""Linear multi-label classifier that tolerates unknown labels."""

from __future__ import annotations

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
    """

    def __init__(
        self,
        labels: tuple[str, ...] = (),
        C: float | tuple[float, ...] = 4.0,
        class_weight: str | None = None,
        max_iter: int = 1000,
    ) -> None:
        self.labels = labels
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def fit(
        self,
        X: sp.csr_matrix,
        y: NDArray[np.float64],
        sample_weight: NDArray[np.float64] | None = None,
    ) -> MaskedMultiLabel:
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
            clf.fit(X[known], yk, sample_weight=weights)
            coef[k] = clf.coef_[0]
            intercept[k] = clf.intercept_[0]
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        z = X @ self.coef_.T
        return np.asarray(z, dtype=np.float64) + self.intercept_

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Probabilities, shape (n_samples, n_labels): column k is P(label k)."""
        out: NDArray[np.float64] = 1.0 / (
            1.0 + np.exp(-np.clip(self.decision_function(X), -30, 30))
        )
        return out

    def predict(self, X: Any) -> NDArray[np.int64]:
        return (self.predict_proba(X) >= 0.5).astype(np.int64)

"""MaskedMultiLabel: each label is fitted on the rows where it is known."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.classifiers import MaskedMultiLabel


def _data() -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(0)
    x = sp.random(200, 30, density=0.2, format="csr", random_state=1)
    y = np.stack([(x[:, 0].toarray().ravel() + rng.random(200) > 0.6) * 1.0] * 2, axis=1)
    y[:50, 1] = np.nan  # second label unknown on a quarter of the rows
    return x, y


def test_a_label_is_fitted_only_where_it_is_known() -> None:
    # given
    x, y = _data()
    # when
    clf = MaskedMultiLabel(labels=("a", "b")).fit(x, y)
    # then
    assert clf.n_train_[1].sum() == 150
    assert clf.predict_proba(x).shape == (200, 2)


def test_excluded_columns_get_no_weight_for_that_label_only() -> None:
    # given column 0 predicts both labels perfectly
    rng = np.random.default_rng(0)
    x = sp.csr_matrix(np.column_stack([np.repeat([0.0, 1.0], 20), rng.random(40)]))
    y = np.column_stack([np.repeat([0.0, 1.0], 20), np.repeat([0.0, 1.0], 20)])
    # when label 0 is fitted without column 0
    clf = MaskedMultiLabel(labels=("a", "b"), nb=True).fit(x, y, exclude={0: np.array([0])})
    # then label 0 has no weight there and label 1 does
    assert clf.coef_[0, 0] == 0.0
    assert clf.coef_[1, 0] > 1.0

"""MaskedMultiLabel: each label is fitted on the rows where it is known."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_svm_labels_give_calibrated_probabilities() -> None:
    # given a label that column 0 predicts with noise
    rng = np.random.default_rng(0)
    x = sp.csr_matrix(rng.random((600, 5)))
    y = ((x[:, 0].toarray().ravel() + 0.3 * rng.standard_normal(600)) > 0.5).astype(float)
    # when it is fitted with the squared hinge loss (Platt-scaled margins)
    clf = MaskedMultiLabel(labels=("a",), C=1.0, loss="squared_hinge").fit(x, y[:, None])
    p = clf.predict_proba(x)[:, 0]
    # then the probabilities rank like the label and match its rate where they are confident
    assert p.min() >= 0.0
    assert p.max() <= 1.0
    assert abs(p.mean() - y.mean()) < 0.05
    assert y[p > 0.8].mean() > 0.8
    assert y[p < 0.2].mean() < 0.2


def test_each_label_keeps_its_own_loss_and_c() -> None:
    # given a two-label model with a loss and a C per label
    clf = MaskedMultiLabel(labels=("a", "b"), C=(0.1, 2.0), loss=("squared_hinge", "log"))
    # when it is narrowed to the second label
    narrowed = clf.for_labels(("b",))
    # then that label's settings go with it
    assert (narrowed.labels, narrowed.C, narrowed.loss) == (("b",), (2.0,), ("log",))


def test_an_unknown_loss_is_refused_by_name() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="hinge"):
        MaskedMultiLabel(labels=("a", "b"), loss="hinge").fit(x, y)

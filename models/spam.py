"""The spam model: one Pipeline from comments to P(spam)."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.classifiers import MaskedMultiLabel
from models.features import (
    COL_NORM,
    NgramVectorizer,
    Prepare,
    SpamStructure,
)

__all__ = ["SPAM_VERSION", "build_spam_pipeline"]

SPAM_VERSION = "1.0.0"


def build_spam_pipeline() -> Pipeline:
    """Unfitted spam Pipeline: prepare -> n-grams + structure -> logistic regression.

    Input: comments (``TextInput``, dicts or strings). ``predict_proba`` gives (n, 1).
    """
    features = ColumnTransformer(
        [
            ("text", NgramVectorizer(char_range=(2, 5), min_df=2, max_features=60_000), COL_NORM),
            (
                "structure",
                Pipeline([("f", SpamStructure()), ("scale", StandardScaler())]),
                [0, 1, 2, 3, 4],
            ),
        ],
        sparse_threshold=1.0,
        n_jobs=1,
    )
    return Pipeline(
        [
            ("prepare", Prepare()),
            ("features", features),
            ("classify", MaskedMultiLabel(labels=("spam",), C=8.0)),
        ]
    )

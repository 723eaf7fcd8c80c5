"""The spam model: one Pipeline from comments to P(spam)."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from models.classifiers import MaskedMultiLabel
from models.features import CommentFeatures, NgramVectorizer, Prepare, SpamStructure

__all__ = ["SPAM_VERSION", "build_spam_pipeline"]

SPAM_VERSION = "1.2.0"


def build_spam_pipeline() -> Pipeline:
    """Unfitted spam Pipeline: prepare -> n-grams + structure -> logistic regression.

    Input: comments (``TextInput``, dicts or strings). ``predict_proba`` gives (n, 1).
    """
    features = CommentFeatures(
        text=NgramVectorizer(char_range=(3, 5), min_df=2, max_features=60_000),
        dense=SpamStructure(),
    )
    return Pipeline(
        [
            ("prepare", Prepare()),
            ("features", features),
            ("classify", MaskedMultiLabel(labels=("spam",), C=16.0)),
        ]
    )

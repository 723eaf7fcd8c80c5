"""The toxicity model: one Pipeline from comments to six Perspective-style probabilities."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from models.classifiers import MaskedMultiLabel
from models.features import CommentFeatures, NgramVectorizer, Prepare, TextShape
from models.normalize import IDENTITY_TERMS
from models.types import TOXICITY_LABELS

__all__ = ["TOXICITY_VERSION", "build_toxicity_pipeline"]

TOXICITY_VERSION = "1.2.3"


def build_toxicity_pipeline() -> Pipeline:
    """Unfitted toxicity Pipeline; ``predict_proba`` gives (n, 6) in ``TOXICITY_LABELS`` order.

    Identity terms are dropped before the n-gram features (see ``IDENTITY_TERMS``), so naming an
    identity can neither raise nor lower a score; slurs are not identity terms and are kept.
    """
    features = CommentFeatures(
        text=NgramVectorizer(
            char_range=(3, 5),
            min_df=3,
            max_features=150_000,
            drop_terms=tuple(sorted(IDENTITY_TERMS)),
        ),
        dense=TextShape(),
    )
    return Pipeline(
        [
            ("prepare", Prepare()),
            ("features", features),
            ("classify", MaskedMultiLabel(labels=TOXICITY_LABELS, C=1.0, nb=True)),
        ]
    )

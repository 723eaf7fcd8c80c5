"""The toxicity model: one Pipeline from comments to six Perspective-style probabilities."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.classifiers import MaskedMultiLabel
from models.features import COL_NORM, NgramVectorizer, Prepare, TextShape
from models.normalize import IDENTITY_TERMS
from models.types import TOXICITY_LABELS

__all__ = ["TOXICITY_VERSION", "build_toxicity_pipeline"]

TOXICITY_VERSION = "1.0.0"


def build_toxicity_pipeline() -> Pipeline:
    """Unfitted toxicity Pipeline; ``predict_proba`` gives (n, 6) in ``TOXICITY_LABELS`` order.

    Identity terms are dropped before the n-gram features (see ``IDENTITY_TERMS``), so naming an
    identity can neither raise nor lower a score; slurs are not identity terms and are kept.
    """
    features = ColumnTransformer(
        [
            (
                "text",
                NgramVectorizer(
                    char_range=(2, 5),
                    min_df=3,
                    max_features=150_000,
                    drop_terms=tuple(sorted(IDENTITY_TERMS)),
                ),
                COL_NORM,
            ),
            ("shape", Pipeline([("f", TextShape()), ("scale", StandardScaler())]), [0, 1]),
        ],
        sparse_threshold=1.0,
        n_jobs=1,
    )
    return Pipeline(
        [
            ("prepare", Prepare()),
            ("features", features),
            ("classify", MaskedMultiLabel(labels=TOXICITY_LABELS, C=4.0)),
        ]
    )

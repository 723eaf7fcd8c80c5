"""The toxicity model: one Pipeline from comments to six Perspective-style probabilities."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from models.classifiers import MaskedMultiLabel
from models.features import CommentFeatures, NgramVectorizer, Prepare, TextShape
from models.normalize import IDENTITY_TERMS
from models.types import TOXICITY_LABELS

__all__ = ["IDENTITY_CONTEXT_LABELS", "TOXICITY_VERSION", "build_toxicity_pipeline"]

TOXICITY_VERSION = "1.4.0"
# The labels that may use the features saying an identity is named ("<identity> are ..."):
# an identity attack is one by definition; the others must not learn from naming one.
IDENTITY_CONTEXT_LABELS: tuple[str, ...] = ("identity_attack",)
# Per label: the classifier's loss and C, chosen on the validation split (bench/README.md,
# round 8). The SVM's margin ranks Wikipedia comments better without costing OLID; the labels
# whose positives are mostly tweets kept logistic regression.
CLASSIFIER: dict[str, tuple[str, float]] = {
    "toxicity": ("squared_hinge", 0.1),
    "severe_toxicity": ("squared_hinge", 0.1),
    "identity_attack": ("log", 1.0),
    "insult": ("log", 1.0),
    "profanity": ("log", 1.0),
    "threat": ("squared_hinge", 0.1),
}


def build_toxicity_pipeline() -> Pipeline:
    """Unfitted toxicity Pipeline; ``predict_proba`` gives (n, 6) in ``TOXICITY_LABELS`` order.

    Identity terms become one ``<identity>`` token before the n-gram features (see
    ``IDENTITY_TERMS``), so every identity gives the same n-grams; the features made with
    that token are fitted only for ``IDENTITY_CONTEXT_LABELS``, so for every other label no
    feature naming an identity carries weight (naming one still changes the comment's word
    pairs and length normalisation). Slurs are not identity terms and are kept.
    """
    features = CommentFeatures(
        text=NgramVectorizer(
            char_range=(3, 5),
            min_df=3,
            max_features=150_000,
            drop_terms=tuple(sorted(IDENTITY_TERMS)),
            identity_placeholder="<identity>",
        ),
        dense=TextShape(),
    )
    return Pipeline(
        [
            ("prepare", Prepare()),
            ("features", features),
            (
                "classify",
                MaskedMultiLabel(
                    labels=TOXICITY_LABELS,
                    C=tuple(CLASSIFIER[label][1] for label in TOXICITY_LABELS),
                    loss=tuple(CLASSIFIER[label][0] for label in TOXICITY_LABELS),
                    nb=True,
                ),
            ),
        ]
    )

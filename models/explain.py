"""Which stretches of a comment drove a score.

The models are linear over TF-IDF features, so each feature's contribution to the logit is
``coef * value``. A feature's contribution is shared among the tokens that produced it (a word
bigram between its two words), tokens are ranked by contribution, neighbouring positive tokens are
merged into phrases, and each phrase is mapped back to the original text through the
normaliser's offset map. A span's score is the model's probability for the span's text alone,
which is what a Perspective-style ``spanScores`` answer carries.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from sklearn.pipeline import Pipeline

from models.features import NgramVectorizer, token_spans
from models.normalize import normalize_with_offsets
from models.types import Span, TextInput

__all__ = ["explain_spans", "token_contributions"]

MAX_SPANS = 5
MIN_CONTRIBUTION = 0.05  # logit units; smaller pushes are noise, not reasons


def token_contributions(
    pipeline: Pipeline, label: int, normalised: str
) -> list[tuple[int, int, float]]:
    """(start, end, logit contribution) for each token of normalised text."""
    vectorizer: NgramVectorizer = pipeline.named_steps["features"].text
    offset = 0  # the n-gram block comes first in CommentFeatures' output
    coef = pipeline.steps[-1][1].coef_[label]
    row = vectorizer.transform([normalised])
    value = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    drop = set(vectorizer.drop_terms)
    tokens = [(s, e, t) for s, e, t in token_spans(normalised) if t not in drop]
    per_token = [vectorizer.feature_indices(t) for _, _, t in tokens]
    bigrams: list[int | None] = []
    index = vectorizer._get_index()
    for (_, _, a), (_, _, b) in pairwise(tokens):
        bigrams.append(index.get(f"b:{a} {b}") if vectorizer.word_bigrams else None)
    uses: Counter[int] = Counter()
    for feats in per_token:
        uses.update(feats)
    for j in bigrams:
        if j is not None:
            uses[j] += 1
    contrib = [0.0] * len(tokens)
    for k, feats in enumerate(per_token):
        contrib[k] = sum(float(coef[offset + j]) * value.get(j, 0.0) / uses[j] for j in feats)
    for k, j in enumerate(bigrams):
        if j is not None:
            share = float(coef[offset + j]) * value.get(j, 0.0) / uses[j] / 2
            contrib[k] += share
            contrib[k + 1] += share
    return [(s, e, c) for (s, e, _), c in zip(tokens, contrib, strict=True)]


def explain_spans(pipeline: Pipeline, label: int, item: TextInput) -> list[Span]:
    """Up to MAX_SPANS spans of ``item.text`` pushing ``label`` up, ordered by position."""
    normalised, origin = normalize_with_offsets(item.text)
    if not normalised:
        return []
    contributions = token_contributions(pipeline, label, normalised)
    ranked = sorted(
        (c for c in contributions if c[2] >= MIN_CONTRIBUTION), key=lambda c: (-c[2], c[0])
    )[:MAX_SPANS]
    chosen = sorted(ranked)
    phrases: list[list[int]] = []
    for s, e, _ in chosen:
        if phrases and normalised[phrases[-1][1] : s].strip() == "":
            phrases[-1][1] = e
        else:
            phrases.append([s, e])
    spans = []
    for s, e in phrases:
        start, end = origin[s], origin[e - 1] + 1
        spans.append((start, end))
    if not spans:
        return []
    texts = [TextInput(item.text[s:e]) for s, e in spans]
    scores = pipeline.predict_proba(texts)[:, label].tolist()
    return [Span(s, e, float(p)) for (s, e), p in zip(spans, scores, strict=True)]

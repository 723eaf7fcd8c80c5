"""Which stretches of a comment drove a score.

The models are linear over TF-IDF features, so each feature's contribution to the logit is
``coef * value``. A feature's contribution is shared among the tokens that produced it (a word
bigram between its two words). The toxicity model's dense lexicon and valence features are not
linear in the tokens (log counts, a minimum), so a lexicon token is credited with what removing
it takes off the dense block's logit. Tokens are ranked by contribution, neighbouring positive
tokens are merged into phrases, and each phrase is mapped back to the original text through the
normaliser's offset map. A span's score is the model's probability for the span's text alone,
which is what a Perspective-style ``spanScores`` answer carries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline

from models.features import (
    COL_NORM,
    COL_RAW,
    SHAPE_WORDS,
    NgramVectorizer,
    TextShape,
    token_spans,
)
from models.normalize import normalize_with_offsets
from models.types import Span, TextInput

__all__ = [
    "dense_contributions",
    "explain_many",
    "explain_spans",
    "token_contributions",
    "token_contributions_all",
]

MAX_SPANS = 5
MIN_CONTRIBUTION = 0.05  # logit units; smaller pushes are noise, not reasons


def dense_contributions(
    pipeline: Pipeline, normalised: str, tokens: Sequence[tuple[int, int, str]]
) -> NDArray[np.float64]:
    """(tokens, labels): the logit the dense lexicon/valence block loses without each token.

    Zero for every token of a model without ``TextShape`` features and for tokens in no
    lexicon. Shouting, "!" and length do not depend on one token, so they cancel out.
    """
    features = pipeline.named_steps["features"]
    coef = pipeline.steps[-1][1].coef_
    out = np.zeros((len(tokens), coef.shape[0]))
    dense = features.dense
    if not isinstance(dense, TextShape):
        return out
    valence = dense.valence()
    words = [t for _, _, t in tokens]
    lexical = [k for k, t in enumerate(words) if t in SHAPE_WORDS or t in valence]
    if not lexical:
        return out
    prepared = np.empty((1 + len(lexical), 5), dtype=object)
    prepared[:] = ""
    prepared[:, COL_RAW] = normalised
    prepared[:, COL_NORM] = normalised
    variants = [words] + [words[:k] + words[k + 1 :] for k in lexical]
    rows = dense.rows(prepared, variants) / features.scale_
    n_text = features.text.n_features_out_
    lost = (rows[0] - rows[1:]) @ coef[:, n_text:].T.astype(np.float64)
    out[lexical] = lost
    return out


def token_contributions(
    pipeline: Pipeline, label: int, normalised: str
) -> list[tuple[int, int, float]]:
    """(start, end, logit contribution) for each token of normalised text."""
    vectorizer: NgramVectorizer = pipeline.named_steps["features"].text
    offset = 0  # the n-gram block comes first in CommentFeatures' output
    coef = pipeline.steps[-1][1].coef_[label]
    row = vectorizer.transform([normalised])
    value = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    every = token_spans(normalised)
    shown = [vectorizer.surface_token(t) for _, _, t in every]
    tokens = [(s, e, u) for (s, e, _), u in zip(every, shown, strict=True) if u is not None]
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
    lexical = dense_contributions(pipeline, normalised, every)[:, label]
    kept = [float(c) for c, u in zip(lexical, shown, strict=True) if u is not None]
    for k, c in enumerate(kept):  # the same tokens as ``tokens``, in order
        contrib[k] += c
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


def token_contributions_all(
    pipeline: Pipeline, normalised: str, tokens: Sequence[tuple[int, int, str]]
) -> tuple[list[tuple[int, int, str]], NDArray[np.float64]]:
    """Every label of ``pipeline`` at once: the kept tokens and a (tokens, labels) matrix.

    The same numbers as :func:`token_contributions` for each label, computed with one feature
    row and one gather over the token x feature incidences instead of Python loops per label.
    """
    vectorizer: NgramVectorizer = pipeline.named_steps["features"].text
    coef = pipeline.steps[-1][1].coef_
    shown = [vectorizer.surface_token(t) for _, _, t in tokens]
    kept = [(s, e, u) for (s, e, _), u in zip(tokens, shown, strict=True) if u is not None]
    n_labels = coef.shape[0]
    if not kept:
        return kept, np.zeros((0, n_labels))
    row = vectorizer.transform([normalised])
    row.sort_indices()
    rows: list[int] = []
    cols: list[int] = []
    for k, (_, _, t) in enumerate(kept):
        feats = vectorizer.feature_indices(t)
        rows.extend([k] * len(feats))
        cols.extend(feats)
    weights = [1.0] * len(cols)
    if vectorizer.word_bigrams:
        get = vectorizer._get_index().get
        for k, ((_, _, a), (_, _, b)) in enumerate(pairwise(kept)):
            j = get(f"b:{a} {b}")
            if j is not None:  # shared between its two words
                rows.extend((k, k + 1))
                cols.extend((j, j))
                weights.extend((0.5, 0.5))
    lexical = dense_contributions(pipeline, normalised, tokens)
    out = lexical[[k for k, u in enumerate(shown) if u is not None]]
    if not cols:
        return kept, out
    col = np.asarray(cols, dtype=np.int64)
    w = np.asarray(weights)
    uses = np.bincount(col, weights=w)[col]
    pos = np.searchsorted(row.indices, col).clip(0, max(len(row.indices) - 1, 0))
    value = np.where(row.indices[pos] == col, row.data[pos], 0.0) if row.nnz else 0.0 * w
    factor = w * value / uses
    np.add.at(out, np.asarray(rows), factor[:, None] * coef[:, col].T.astype(np.float64))
    return kept, out


def _phrases(
    normalised: str, origin: Sequence[int], contributions: Sequence[tuple[int, int, float]]
) -> list[tuple[int, int]]:
    """Top tokens merged into phrases, as (start, end) offsets in the original text."""
    ranked = sorted(
        (c for c in contributions if c[2] >= MIN_CONTRIBUTION), key=lambda c: (-c[2], c[0])
    )[:MAX_SPANS]
    phrases: list[list[int]] = []
    for s, e, _ in sorted(ranked):
        if phrases and normalised[phrases[-1][1] : s].strip() == "":
            phrases[-1][1] = e
        else:
            phrases.append([s, e])
    return [(origin[s], origin[e - 1] + 1) for s, e in phrases]


def explain_many(
    item: TextInput,
    wanted: Sequence[tuple[str, Pipeline, int, int]],
    score: Callable[[Sequence[TextInput]], list[list[float]]],
) -> dict[str, list[Span]]:
    """Spans for several attributes of one comment, sharing all the work between them.

    ``wanted`` holds (attribute, pipeline, label in the pipeline, column in ``score``'s rows);
    ``score`` scores a batch (the Scorer's fast path). The text is normalised once, each
    pipeline's contributions are computed once for all its labels, and all spans are scored in
    one batch. Same spans and scores as :func:`explain_spans` per attribute.
    """
    out: dict[str, list[Span]] = {a: [] for a, _, _, _ in wanted}
    normalised, origin = normalize_with_offsets(item.text)
    if not normalised:
        return out
    tokens = token_spans(normalised)
    per_pipeline: dict[int, tuple[list[tuple[int, int, str]], NDArray[np.float64]]] = {}
    chosen: dict[str, list[tuple[int, int]]] = {}
    for attribute, pipeline, label, _ in wanted:
        key = id(pipeline)
        if key not in per_pipeline:
            per_pipeline[key] = token_contributions_all(pipeline, normalised, tokens)
        kept, matrix = per_pipeline[key]
        contributions = [
            (s, e, float(c)) for (s, e, _), c in zip(kept, matrix[:, label], strict=True)
        ]
        chosen[attribute] = _phrases(normalised, origin, contributions)
    texts = sorted({span for spans in chosen.values() for span in spans})
    if not texts:
        return out
    rows = dict(zip(texts, score([TextInput(item.text[s:e]) for s, e in texts]), strict=True))
    for attribute, _, _, column in wanted:
        out[attribute] = [Span(s, e, float(rows[(s, e)][column])) for s, e in chosen[attribute]]
    return out

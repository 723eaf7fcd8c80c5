"""Word valence features of the toxicity model: the lexicon, identity terms, the fast path."""

from __future__ import annotations

import numpy as np
import pytest

from models.classifiers import MaskedMultiLabel
from models.explain import MIN_CONTRIBUTION, dense_contributions, token_contributions
from models.fastpath import BatchEngine
from models.features import (
    CommentFeatures,
    NgramVectorizer,
    Prepare,
    SpamStructure,
    TextShape,
    char_counts,
    token_spans,
)
from models.normalize import IDENTITY_TERMS, normalize
from models.registry import load_scorer
from models.valence import load_valence, valence_source

TEXTS = [
    "you are pathetic, a despicable disgrace",
    "what a lovely, kind and helpful answer",
    "I am blind and straight",
    "",
    "great great great but you are a loser",
]


def _shape() -> TextShape:
    return TextShape().fit(None)


def _column(shape: TextShape, rows: np.ndarray, name: str) -> np.ndarray:
    return rows[:, shape.feature_names.index(name)]


def test_lexicon_holds_rated_words_only() -> None:
    # when
    valence = load_valence()
    name, digest = valence_source()
    # then
    assert valence["pathetic"] < -2 < 0 < valence["lovely"]
    assert all(w.replace("'", "").isalpha() for w in valence)
    assert name.startswith("vaderSentiment-")
    assert len(digest) == 64


def test_identity_terms_carry_no_valence() -> None:
    # given
    shape = _shape()
    rows = shape.transform(Prepare().transform(["I am blind and straight"]))
    # then: the lexicon rates "blind" and "straight"; the model must not see it
    assert not set(shape.valence_words_.tolist()) & IDENTITY_TERMS
    assert _column(shape, rows, "negativity")[0] == 0.0
    assert _column(shape, rows, "positivity")[0] == 0.0


def test_negative_words_aimed_at_the_reader_are_counted() -> None:
    # given
    shape = _shape()
    # when
    rows = shape.transform(Prepare().transform(TEXTS[:2]))
    # then
    negativity = _column(shape, rows, "negativity")
    assert negativity[0] > 0 == negativity[1]
    assert _column(shape, rows, "second_person_negativity")[0] == negativity[0]
    assert _column(shape, rows, "strong_negatives")[0] > 0
    assert _column(shape, rows, "positivity")[1] > 0


def test_fast_path_computes_the_same_dense_rows() -> None:
    # given: features fitted on the texts themselves; the classifiers only need the shape
    prepared = Prepare().transform(TEXTS)
    spam = CommentFeatures(text=NgramVectorizer(min_df=1), dense=SpamStructure()).fit(prepared)
    tox = CommentFeatures(text=NgramVectorizer(min_df=1), dense=TextShape()).fit(prepared)
    y = np.array([[1.0], [0.0], [0.0], [0.0], [1.0]])
    spam_clf = MaskedMultiLabel(labels=("spam",)).fit(spam.transform(prepared), y)
    tox_clf = MaskedMultiLabel(labels=("toxicity",)).fit(tox.transform(prepared), y)
    engine = BatchEngine(spam, spam_clf, tox, tox_clf)
    assert isinstance(tox.dense, TextShape)
    # when
    expected = tox.dense.transform(prepared)
    raw = [str(r[0]) for r in prepared]
    normalised = [str(r[1]) for r in prepared]

    ids = engine.token_ids(normalised)
    got = engine._text_shape(raw, [char_counts(r) for r in raw], ids, len(raw))
    # then
    assert got == pytest.approx(expected, abs=1e-6)


def test_explanations_credit_a_word_the_model_knows_only_by_its_valence() -> None:
    # given: the shipped toxicity model; "contemptible" is rated by the lexicon, not by the data
    scorer = load_scorer()
    text = normalize("your edits are contemptible")
    tokens = token_spans(text)
    # when
    lexical = dense_contributions(scorer.toxicity, text, tokens)[:, 0]
    total = token_contributions(scorer.toxicity, 0, text)
    # then
    word = [t for _, _, t in tokens].index("contemptible")
    assert lexical[word] > MIN_CONTRIBUTION
    assert total[word][2] >= MIN_CONTRIBUTION
    assert lexical[[t for _, _, t in tokens].index("are")] == 0.0  # in no lexicon

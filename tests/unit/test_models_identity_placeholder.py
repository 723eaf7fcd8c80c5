"""Identity terms as one placeholder token: the same features for every identity, and the
placeholder's features known by column so only identity_attack is fitted on them."""

from __future__ import annotations

from models.features import NgramVectorizer

DOCS = [
    "all muslims are rats",
    "all jews are rats",
    "my muslim neighbour is kind",
    "the rats are in the barn",
]


def _vectorizer(**kwargs: str) -> NgramVectorizer:
    return NgramVectorizer(
        char_range=(3, 4), min_df=1, drop_terms=("jews", "muslim", "muslims"), **kwargs
    ).fit(DOCS)


def test_every_identity_becomes_the_same_token() -> None:
    vec = _vectorizer(identity_placeholder="<identity>")
    assert vec.surface("all muslims are rats".split()) == ["all", "<identity>", "are", "rats"]
    first, second = vec.transform(["all muslims are rats", "all jews are rats"]).toarray()
    assert (first == second).all()


def test_the_placeholder_has_a_unigram_and_bigrams_but_no_character_ngrams() -> None:
    vec = _vectorizer(identity_placeholder="<identity>")
    names = [vec.vocabulary_[j] for j in vec.identity_columns()]
    assert sorted(names) == [
        "b:<identity> are",
        "b:<identity> neighbour",
        "b:all <identity>",
        "b:my <identity>",
        "w:<identity>",
    ]
    assert not any("identity>" in t for t in vec.vocabulary_ if t.startswith("c:"))


def test_without_a_placeholder_identity_terms_are_dropped() -> None:
    vec = _vectorizer()
    assert vec.surface("all muslims are rats".split()) == ["all", "are", "rats"]
    assert len(vec.identity_columns()) == 0
    assert "b:all are" in set(vec.vocabulary_.tolist())


def test_a_vectorizer_saved_before_the_placeholder_existed_still_drops() -> None:
    vec = _vectorizer()
    del vec.__dict__["identity_placeholder"]  # as skops restores an older artifact
    assert vec.surface("all muslims are rats".split()) == ["all", "are", "rats"]
    assert vec.transform(["all muslims are rats"]).nnz > 0


def test_a_two_word_identity_is_no_signal_of_its_own() -> None:
    vec = NgramVectorizer(
        min_df=1, drop_terms=("african", "american"), identity_placeholder="<identity>"
    ).fit(["like african american", "an african american poet", "like poets"])
    vocabulary = set(vec.vocabulary_.tolist())
    assert "b:<identity> <identity>" not in vocabulary
    assert {"b:like <identity>", "b:an <identity>", "b:<identity> poet"} <= vocabulary

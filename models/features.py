# ruff: noqa: ARG002, N803
"""Feature transformers used inside the model Pipelines.

They are plain scikit-learn estimators (persisted by skops as trusted ``models.features.*``
types). The n-gram vectoriser is our own because scoring speed is dominated by n-gram extraction:
it caches each distinct token's feature indices, so a batch costs one dictionary lookup per token
instead of one per character n-gram.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin

from models.normalize import (
    IDENTITY_TERMS,
    OBSCENE_WORDS,
    extract_emails,
    extract_links,
    extract_markup_links,
    extract_phones,
    normalize,
)
from models.types import TextInput
from models.valence import load_valence

__all__ = [
    "COL_AUTHOR_EMAIL",
    "COL_AUTHOR_NAME",
    "COL_AUTHOR_URL",
    "COL_NORM",
    "COL_RAW",
    "SECOND_PERSON",
    "SHAPE_WORDS",
    "CommentFeatures",
    "NgramVectorizer",
    "Prepare",
    "SpamStructure",
    "TextShape",
    "as_inputs",
    "char_counts",
    "tokenize",
]

COL_RAW, COL_NORM, COL_AUTHOR_NAME, COL_AUTHOR_URL, COL_AUTHOR_EMAIL = range(5)

_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def tokenize(normalised: str) -> list[str]:
    """Word tokens of normalised text (words, and punctuation or emoji as single tokens)."""
    return _TOKEN.findall(normalised)


def token_spans(normalised: str) -> list[tuple[int, int, str]]:
    """Tokens with their offsets in the normalised text."""
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(normalised)]


def as_inputs(items: Iterable[Any]) -> list[TextInput]:
    """Accept TextInput, dicts with the same keys, or plain strings."""
    out: list[TextInput] = []
    for item in items:
        if isinstance(item, TextInput):
            out.append(item)
        elif isinstance(item, str):
            out.append(TextInput(item))
        elif isinstance(item, dict):
            out.append(
                TextInput(
                    str(item.get("text") or ""),
                    str(item.get("author_name") or ""),
                    str(item.get("author_url") or ""),
                    str(item.get("author_email") or ""),
                )
            )
        else:
            raise TypeError(f"cannot score {type(item).__name__}; pass TextInput, dict or str")
    return out


class Prepare(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Comments -> object array: raw text, normalised text, author name, url, e-mail."""

    def fit(self, X: Any, y: Any = None) -> Prepare:
        return self

    def transform(self, X: Any) -> NDArray[np.object_]:
        if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 5:
            return X  # already prepared (the Scorer prepares once for both models)
        items = as_inputs(X)
        out = np.empty((len(items), 5), dtype=object)
        for i, item in enumerate(items):
            out[i, COL_RAW] = item.text
            out[i, COL_NORM] = normalize(item.text)
            out[i, COL_AUTHOR_NAME] = item.author_name
            out[i, COL_AUTHOR_URL] = item.author_url
            out[i, COL_AUTHOR_EMAIL] = item.author_email
        return out


class NgramVectorizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """TF-IDF over word 1..2-grams and within-word character n-grams of normalised text.

    ``drop_terms`` are tokens removed before any feature is made (the toxicity model drops
    identity terms, so it cannot learn that naming an identity is toxic). With
    ``identity_placeholder`` they are replaced by that one token instead, which has a unigram
    and word bigrams but no character n-grams: every identity looks the same, and the features
    that say *an* identity is named (:meth:`identity_columns`) can be kept from the labels
    that must not use them.
    """

    # a vectoriser saved before the parameter existed loads without it and drops, as it did
    identity_placeholder: str = ""

    def __init__(
        self,
        *,
        char_range: tuple[int, int] = (2, 5),
        word_bigrams: bool = True,
        min_df: int = 2,
        max_features: int | None = None,
        drop_terms: tuple[str, ...] = (),
        identity_placeholder: str = "",
    ) -> None:
        self.char_range = char_range
        self.word_bigrams = word_bigrams
        self.min_df = min_df
        self.max_features = max_features
        self.drop_terms = drop_terms
        self.identity_placeholder = identity_placeholder

    # scikit-learn estimators keep fitted state in attributes ending in "_"; the caches below
    # are rebuilt on demand and never saved.
    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_index", None)
        state.pop("_cache", None)
        state.pop("_drop", None)
        return state

    def _token_features(self, token: str) -> list[str]:
        if token == self.identity_placeholder:
            return [f"w:{token}"]
        lo, hi = self.char_range
        padded = f" {token} "
        feats = [f"w:{token}"]
        n_chars = len(padded)
        for n in range(lo, hi + 1):
            feats.extend(["c:" + padded[i : i + n] for i in range(n_chars - n + 1)])
        return feats

    def _tokens(self, doc: str) -> list[str]:
        return self.surface(_TOKEN.findall(doc))

    def surface_token(self, token: str) -> str | None:
        """What the features see of ``token``: itself, the placeholder, or None (dropped)."""
        if token not in self._drop_set():
            return token
        return self.identity_placeholder or None

    def surface(self, tokens: Sequence[str]) -> list[str]:
        """``tokens`` as the features see them (see :meth:`surface_token`)."""
        if not self.drop_terms:
            return list(tokens)
        drop = self._drop_set()
        if self.identity_placeholder:
            return [self.identity_placeholder if t in drop else t for t in tokens]
        return [t for t in tokens if t not in drop]

    def identity_columns(self) -> NDArray[np.intp]:
        """Indices of the features made with the identity placeholder (empty without one)."""
        token = self.identity_placeholder
        if not token:
            return np.zeros(0, dtype=np.intp)
        unigram, first, second = f"w:{token}", f"b:{token} ", f" {token}"
        return np.array(
            [
                j
                for j, term in enumerate(self.vocabulary_.tolist())
                if term == unigram
                or (term.startswith("b:") and (term.startswith(first) or term.endswith(second)))
            ],
            dtype=np.intp,
        )

    def _drop_set(self) -> frozenset[str]:
        drop: frozenset[str] | None = getattr(self, "_drop", None)
        if drop is None:
            drop = frozenset(self.drop_terms)
            self._drop = drop
        return drop

    def fit(self, X: Sequence[str], y: Any = None) -> NgramVectorizer:
        df: Counter[str] = Counter()
        cache: dict[str, list[str]] = {}
        placeholder = self.identity_placeholder or None
        for doc in X:
            toks = self._tokens(str(doc))
            feats: set[str] = set()
            for t in set(toks):
                f = cache.get(t)
                if f is None:
                    f = self._token_features(t)
                    cache[t] = f
                feats.update(f)
            if self.word_bigrams:
                # "<identity> <identity>" would make a two-word identity ("african
                # american") a signal of its own; it is left out of the vocabulary
                feats.update(f"b:{a} {b}" for a, b in pairwise(toks) if not a == b == placeholder)
            df.update(feats)
        kept = [(c, t) for t, c in df.items() if c >= self.min_df]
        kept.sort(key=lambda ct: (-ct[0], ct[1]))
        if self.max_features is not None:
            kept = kept[: self.max_features]
        kept.sort(key=lambda ct: ct[1])
        n_docs = len(X)
        self.vocabulary_ = np.array([t for _, t in kept], dtype=np.str_)
        counts = np.array([c for c, _ in kept], dtype=np.float64)
        self.idf_ = (np.log((1.0 + n_docs) / (1.0 + counts)) + 1.0).astype(np.float32)
        self.n_features_out_ = len(kept)
        self._index: dict[str, int] | None = None
        self._cache: dict[str, tuple[int, ...]] | None = None
        return self

    def _get_index(self) -> dict[str, int]:
        index: dict[str, int] | None = getattr(self, "_index", None)
        if index is None:
            index = {str(t): i for i, t in enumerate(self.vocabulary_.tolist())}
            self._index = index
            self._cache = {}
        return index

    def feature_indices(self, token: str) -> tuple[int, ...]:
        """Indices of the unigram and character n-gram features of one token."""
        index = self._get_index()
        cache: dict[str, tuple[int, ...]] = self._cache  # type: ignore[assignment]
        hit = cache.get(token)
        if hit is None:
            hit = tuple(j for f in self._token_features(token) if (j := index.get(f)) is not None)
            if len(cache) > 200_000:
                cache.clear()
            cache[token] = hit
        return hit

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        return self.transform_tokens([_TOKEN.findall(str(doc)) for doc in X])

    def transform_tokens(self, token_lists: Sequence[list[str]]) -> sp.csr_matrix:
        """Features of already tokenised documents (the Scorer tokenises once for both models)."""
        index = self._get_index()
        cache: dict[str, tuple[int, ...]] = self._cache  # type: ignore[assignment]
        surface = self.surface if self.drop_terms else None
        bigrams = self.word_bigrams
        indices: list[int] = []
        indptr = [0]
        for toks in token_lists:
            if surface:
                toks = surface(toks)
            for t in toks:
                hit = cache.get(t)
                if hit is None:
                    hit = self.feature_indices(t)
                indices.extend(hit)
            if bigrams and len(toks) > 1:
                get = index.get
                for a, b in pairwise(toks):
                    j = get(f"b:{a} {b}")
                    if j is not None:
                        indices.append(j)
            indptr.append(len(indices))
        return self._finish(indices, indptr)

    def _finish(self, indices: list[int], indptr: list[int]) -> sp.csr_matrix:
        n_rows = len(indptr) - 1
        mat = sp.csr_matrix(
            (
                np.ones(len(indices), dtype=np.float32),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(n_rows, self.n_features_out_),
        )
        mat.sum_duplicates()
        if mat.nnz == 0:
            return mat
        data = (np.log(mat.data) + 1.0) * self.idf_[mat.indices]
        rows = np.repeat(np.arange(n_rows), np.diff(mat.indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
        norms[norms == 0.0] = 1.0
        mat.data = (data / norms[rows]).astype(np.float32)
        return mat

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        return np.asarray(self.vocabulary_, dtype=object)


_SPAM_AUTHOR_WORDS = re.compile(
    r"loan|casino|crypto|bitcoin|forex|seo|viagra|cialis|pharm|pills|escort|dating|spell|"
    r"hack|recover|invest|profit|money|cash|free|promo|deal|cheap|buy|sale|shop|bet|porn|xxx|"
    r"channel|subscribe|official|music|records|tv\b|\.com"
)
_MONEY = re.compile(r"[$€£]\s?\d|\d\s?(?:usd|dollars|eur|btc)\b")
# Both start with a character, lookbehinds after it, so the regex engine skips in C to where
# that character occurs instead of trying every position.
_CAPS_RUN = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]{3,}\b")  # a word of 4+ capitals
_DOT_LETTER = re.compile(r"\.(?<=[a-z0-9-]\.)[a-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# every _MONEY match holds one of these
_MONEY_HINTS = ("$", "€", "£", "usd", "dollars", "eur", "btc")
_UPPER_B = bytes(range(65, 91))
_LOWER_B = bytes(range(97, 123))
_DIGIT_B = bytes(range(48, 58))

# Lexicon groups for the toxicity shape features (after normalisation, so masked and leetspeak
# forms count too). Slurs are kept apart from identity terms: naming an identity is not a hit.
INSULT_WORDS: frozenset[str] = frozenset(
    [
        "idiot",
        "idiots",
        "moron",
        "morons",
        "stupid",
        "retard",
        "retarded",
        "dumb",
        "loser",
        "jerk",
        "scum",
        "trash",
        "suck",
        "sucks",
        "pathetic",
        "disgusting",
        "disgrace",
        "ugly",
        "fool",
        "fools",
        "clown",
        "clowns",
        "coward",
        "liar",
        "liars",
        "hypocrite",
        "imbecile",
        "ignorant",
    ]
)
SLUR_WORDS: frozenset[str] = frozenset(
    [
        "nigger",
        "niggers",
        "nigga",
        "niggas",
        "faggot",
        "faggots",
        "fag",
        "fags",
        "dyke",
        "dykes",
        "tranny",
        "kike",
        "spic",
        "chink",
        "wetback",
        "coon",
    ]
)
THREAT_WORDS: frozenset[str] = frozenset(["kill", "die", "rape", "shoot", "hang", "murder", "burn"])
SECOND_PERSON: frozenset[str] = frozenset(["you", "your", "ur"])
STRONG_NEGATIVE = -2.0  # valence at or under which a word counts as strongly negative
# every word a TextShape count looks at, besides the valence table (explanations credit them)
SHAPE_WORDS: frozenset[str] = (
    OBSCENE_WORDS | INSULT_WORDS | SLUR_WORDS | THREAT_WORDS | SECOND_PERSON
)


def char_counts(raw: str) -> tuple[int, int, int]:
    """(letters, upper-case letters, digits) of ``raw``; byte-level fast path for ASCII."""
    if raw.isascii():
        b = raw.encode("ascii")
        n = len(b)
        upper = n - len(b.translate(None, _UPPER_B))
        lower = n - len(b.translate(None, _LOWER_B))
        return upper + lower, upper, n - len(b.translate(None, _DIGIT_B))
    # ASCII characters by bytes, the (usually few) others one by one
    b = raw.encode("ascii", "ignore")
    n = len(b)
    upper = n - len(b.translate(None, _UPPER_B))
    lower = n - len(b.translate(None, _LOWER_B))
    digits = n - len(b.translate(None, _DIGIT_B))
    other = "".join(_NON_ASCII.findall(raw))
    return (
        upper + lower + sum(map(str.isalpha, other)),
        upper + sum(map(str.isupper, other)),
        digits + sum(map(str.isdigit, other)),
    )


class SpamStructure(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Dense structural spam signals: links, contacts, markup, author fields, shape."""

    feature_names: tuple[str, ...] = (
        "n_links",
        "n_domains",
        "n_shorteners",
        "n_suspicious_tld",
        "n_markup_links",
        "obfuscated_link",
        "n_emails",
        "n_phones",
        "money",
        "author_link",
        "author_url",
        "author_url_bad",
        "author_keywords",
        "author_digits",
        "log_len",
        "caps_ratio",
        "caps_words",
        "exclaims",
        "repetition",
        "digit_ratio",
    )

    def fit(self, X: Any, y: Any = None) -> SpamStructure:
        self.n_features_out_ = len(self.feature_names)
        return self

    def transform(self, X: NDArray[np.object_]) -> NDArray[np.float64]:
        return self.rows(X, None)

    def rows(
        self, X: NDArray[np.object_], tokens: Sequence[list[str]] | None
    ) -> NDArray[np.float64]:
        del tokens  # the spam structure works on whitespace words, not model tokens
        return np.array(
            [
                self.row_features(
                    str(row[COL_RAW]),
                    str(row[COL_NORM]),
                    str(row[COL_AUTHOR_NAME]),
                    str(row[COL_AUTHOR_URL]),
                    str(row[COL_AUTHOR_EMAIL]),
                )
                for row in X
            ],
            dtype=np.float64,
        ).reshape(len(X), len(self.feature_names))

    @staticmethod
    def row_features(
        raw: str,
        norm: str,
        author_name: str,
        author_url: str,
        author_email: str,
        counts: tuple[int, int, int] | None = None,
    ) -> list[float]:
        """One comment's features; ``counts`` is ``char_counts(raw)`` when already known."""
        n_letters, n_upper, n_digits = counts or char_counts(raw)
        # every link has "http(s)://", "www." or a letter or digit right before a "." and a
        # letter after it: text without any of these has no link, and skips the link regex
        maybe_link = "://" in norm or "www." in norm or _DOT_LETTER.search(norm) is not None
        links = extract_links(norm) if maybe_link else []
        obfuscated = 0.0
        if links:
            raw_lower = raw.lower()
            if not any(link.url in raw_lower for link in links):
                obfuscated = 1.0
        emails = extract_emails(norm) if "@" in norm else []
        phones = extract_phones(raw) if n_digits >= 8 else []
        markup = extract_markup_links(raw) if ("<" in raw or "[" in raw) else 0
        name = author_name.lower()
        url = author_url.lower()
        url_links = extract_links(url) if url else []
        name_link = bool(name) and ("http" in name or "www." in name or bool(extract_links(name)))
        author_text = name + " " + url + " " + author_email.lower()
        caps = n_upper / n_letters if n_letters >= 8 else 0.0
        toks = norm.split()
        repetition = 1.0 - len(set(toks)) / len(toks) if len(toks) >= 4 else 0.0
        return [
            math.log1p(len(links)),
            math.log1p(len({link.domain for link in links})),
            math.log1p(sum(link.shortener for link in links)),
            math.log1p(sum(link.suspicious_tld for link in links)),
            math.log1p(markup),
            obfuscated,
            math.log1p(len(emails)),
            math.log1p(len(phones)),
            1.0 if any(h in norm for h in _MONEY_HINTS) and _MONEY.search(norm) else 0.0,
            1.0 if name_link else 0.0,
            1.0 if url else 0.0,
            1.0 if any(lk.shortener or lk.suspicious_tld for lk in url_links) else 0.0,
            1.0 if author_text.strip() and _SPAM_AUTHOR_WORDS.search(author_text) else 0.0,
            1.0 if sum(c.isdigit() for c in name) >= 3 else 0.0,
            math.log1p(len(raw)) / 5.0,
            caps,
            math.log1p(len(_CAPS_RUN.findall(raw))) if n_upper >= 4 else 0.0,
            math.log1p(raw.count("!")),
            repetition,
            n_digits / max(len(raw), 1),
        ]

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        return np.asarray(self.feature_names, dtype=object)


class TextShape(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Dense toxicity signals that n-grams miss: shouting, lexicon hits after unmasking, and
    the comment's word valence (see ``models.valence``).

    Fitting copies the valence lexicon into ``valence_words_`` / ``valence_scores_`` (identity
    terms left out, so naming an identity moves no score), so the artifact carries it.
    """

    feature_names: tuple[str, ...] = (
        "caps_ratio",
        "exclaims",
        "obscene_hits",
        "insult_hits",
        "slur_hits",
        "threat_hits",
        "second_person_insult",
        "log_len",
        "negativity",
        "positivity",
        "most_negative",
        "strong_negatives",
        "second_person_negativity",
        "polarity_density",
    )

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_valence", None)
        return state

    def fit(self, X: Any, y: Any = None) -> TextShape:
        table = {w: v for w, v in load_valence().items() if w not in IDENTITY_TERMS}
        self.valence_words_ = np.array(list(table), dtype=np.str_)
        self.valence_scores_ = np.array(list(table.values()), dtype=np.float32)
        self.n_features_out_ = len(self.feature_names)
        return self

    def valence(self) -> dict[str, float]:
        """word -> valence, built once from the fitted arrays."""
        table: dict[str, float] | None = getattr(self, "_valence", None)
        if table is None:
            scores = self.valence_scores_.astype(np.float64).tolist()
            table = dict(zip(self.valence_words_.tolist(), scores, strict=True))
            self._valence = table
        return table

    def transform(self, X: NDArray[np.object_]) -> NDArray[np.float64]:
        return self.rows(X, None)

    def rows(
        self, X: NDArray[np.object_], tokens: Sequence[list[str]] | None
    ) -> NDArray[np.float64]:
        if tokens is None:
            tokens = [tokenize(str(row[COL_NORM])) for row in X]
        valence = self.valence()
        out = np.zeros((len(X), len(self.feature_names)), dtype=np.float64)
        for i, (row, toks) in enumerate(zip(X, tokens, strict=True)):
            raw = str(row[COL_RAW])
            n_letters, n_upper, _ = char_counts(raw)
            caps = n_upper / n_letters if n_letters >= 8 else 0.0
            words = set(toks)
            insults = words & INSULT_WORDS
            second_person = not SECOND_PERSON.isdisjoint(words)
            vals = [v for t in toks if (v := valence.get(t)) is not None]
            neg = -sum(v for v in vals if v < 0)
            pos = sum(v for v in vals if v > 0)
            out[i] = (
                caps,
                math.log1p(raw.count("!")),
                math.log1p(sum(t in OBSCENE_WORDS for t in toks)),
                math.log1p(sum(t in INSULT_WORDS for t in toks)),
                math.log1p(sum(t in SLUR_WORDS for t in toks)),
                math.log1p(len(words & THREAT_WORDS)),
                1.0 if insults and second_person else 0.0,
                math.log1p(len(raw)) / 5,
                math.log1p(neg),
                math.log1p(pos),
                max(0.0, -min(vals, default=0.0)) / 4,
                math.log1p(sum(v <= STRONG_NEGATIVE for v in vals)),
                math.log1p(neg) if second_person else 0.0,
                (neg + pos) / (1 + len(toks)) * 10,
            )
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        return np.asarray(self.feature_names, dtype=object)


class CommentFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Prepared comments -> [n-gram TF-IDF | standardised dense features], one CSR matrix.

    Replaces a ColumnTransformer (whose per-call validation cost more than the features) and
    accepts the batch's tokens from the caller, so the Scorer tokenises once for both models.
    The n-gram block comes first: column ``j < text.n_features_out_`` is n-gram ``j``.
    """

    def __init__(
        self,
        text: NgramVectorizer | None = None,
        dense: SpamStructure | TextShape | None = None,
    ) -> None:
        self.text = text
        self.dense = dense

    def _parts(self) -> tuple[NgramVectorizer, SpamStructure | TextShape]:
        if self.text is None or self.dense is None:
            raise ValueError("CommentFeatures needs text and dense transformers")
        return self.text, self.dense

    def fit(self, X: NDArray[np.object_], y: Any = None) -> CommentFeatures:
        text, dense = self._parts()
        tokens = [tokenize(str(row[COL_NORM])) for row in X]
        text.fit([str(row[COL_NORM]) for row in X])
        dense.fit(X)
        d = dense.rows(X, tokens)
        self.mean_ = d.mean(axis=0) if len(d) else np.zeros(d.shape[1])
        scale = d.std(axis=0) if len(d) else np.ones(d.shape[1])
        scale[scale == 0.0] = 1.0
        self.scale_ = scale
        self.n_features_out_ = text.n_features_out_ + d.shape[1]
        return self

    def transform(
        self, X: NDArray[np.object_], tokens: Sequence[list[str]] | None = None
    ) -> sp.csr_matrix:
        text, dense = self._parts()
        if tokens is None:
            tokens = [tokenize(str(row[COL_NORM])) for row in X]
        ngrams = text.transform_tokens(tokens)
        d = (dense.rows(X, tokens) - self.mean_) / self.scale_
        out: sp.csr_matrix = sp.hstack(
            [ngrams, sp.csr_matrix(d.astype(np.float32))], format="csr", dtype=np.float32
        )
        return out

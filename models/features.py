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
from sklearn.preprocessing import normalize as l2_normalize

from models.normalize import (
    PROFANITY_LEXICON,
    extract_emails,
    extract_links,
    extract_markup_links,
    extract_phones,
    normalize,
)
from models.types import TextInput

__all__ = [
    "COL_AUTHOR_EMAIL",
    "COL_AUTHOR_NAME",
    "COL_AUTHOR_URL",
    "COL_NORM",
    "COL_RAW",
    "NgramVectorizer",
    "Prepare",
    "SpamStructure",
    "TextShape",
    "as_inputs",
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
    identity terms, so it cannot learn that naming an identity is toxic).
    """

    def __init__(
        self,
        *,
        char_range: tuple[int, int] = (2, 5),
        word_bigrams: bool = True,
        min_df: int = 2,
        max_features: int | None = None,
        drop_terms: tuple[str, ...] = (),
    ) -> None:
        self.char_range = char_range
        self.word_bigrams = word_bigrams
        self.min_df = min_df
        self.max_features = max_features
        self.drop_terms = drop_terms

    # scikit-learn estimators keep fitted state in attributes ending in "_"; the caches below
    # are rebuilt on demand and never saved.
    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_index", None)
        state.pop("_cache", None)
        state.pop("_drop", None)
        return state

    def _token_features(self, token: str) -> list[str]:
        lo, hi = self.char_range
        padded = f" {token} "
        feats = [f"w:{token}"]
        n_chars = len(padded)
        for n in range(lo, hi + 1):
            feats.extend(["c:" + padded[i : i + n] for i in range(n_chars - n + 1)])
        return feats

    def _tokens(self, doc: str) -> list[str]:
        toks = _TOKEN.findall(doc)
        if self.drop_terms:
            drop = self._drop_set()
            toks = [t for t in toks if t not in drop]
        return toks

    def _drop_set(self) -> frozenset[str]:
        drop: frozenset[str] | None = getattr(self, "_drop", None)
        if drop is None:
            drop = frozenset(self.drop_terms)
            self._drop = drop
        return drop

    def fit(self, X: Sequence[str], y: Any = None) -> NgramVectorizer:
        df: Counter[str] = Counter()
        cache: dict[str, list[str]] = {}
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
                feats.update(f"b:{a} {b}" for a, b in pairwise(toks))
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
        index = self._get_index()
        cache: dict[str, tuple[int, ...]] = self._cache  # type: ignore[assignment]
        indices: list[int] = []
        indptr = [0]
        for doc in X:
            toks = self._tokens(str(doc))
            for t in toks:
                hit = cache.get(t)
                if hit is None:
                    hit = self.feature_indices(t)
                indices.extend(hit)
            if self.word_bigrams:
                for a, b in pairwise(toks):
                    j = index.get(f"b:{a} {b}")
                    if j is not None:
                        indices.append(j)
            indptr.append(len(indices))
        return self._finish(indices, indptr)

    def _finish(self, indices: list[int], indptr: list[int]) -> sp.csr_matrix:
        data = np.ones(len(indices), dtype=np.float32)
        mat = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
            shape=(len(indptr) - 1, self.n_features_out_),
        )
        mat.sum_duplicates()
        mat.data = (np.log(mat.data) + 1.0) * self.idf_[mat.indices]
        if mat.shape[1] == 0:
            return mat
        return l2_normalize(mat, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        return np.asarray(self.vocabulary_, dtype=object)


_SPAM_AUTHOR_WORDS = re.compile(
    r"loan|casino|crypto|bitcoin|forex|seo|viagra|cialis|pharm|pills|escort|dating|spell|"
    r"hack|recover|invest|profit|money|cash|free|promo|deal|cheap|buy|sale|shop|bet|porn|xxx|"
    r"channel|subscribe|official|music|records|tv\b|\.com"
)
_MONEY = re.compile(r"[$€£]\s?\d|\d\s?(?:usd|dollars|eur|btc)\b")
_CAPS_RUN = re.compile(r"\b[A-Z]{4,}\b")


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
        out = np.zeros((X.shape[0], len(self.feature_names)), dtype=np.float64)
        for i, row in enumerate(X):
            out[i] = self.row_features(
                str(row[COL_RAW]),
                str(row[COL_NORM]),
                str(row[COL_AUTHOR_NAME]),
                str(row[COL_AUTHOR_URL]),
                str(row[COL_AUTHOR_EMAIL]),
            )
        return out

    @staticmethod
    def row_features(
        raw: str, norm: str, author_name: str, author_url: str, author_email: str
    ) -> list[float]:
        has_link_chars = "." in norm or "/" in norm
        links = extract_links(norm) if has_link_chars else []
        raw_lower = raw.lower()
        obfuscated = 0.0
        if links and not any(link.url in raw_lower for link in links):
            obfuscated = 1.0
        emails = extract_emails(norm) if "@" in norm else []
        phones = extract_phones(raw) if sum(c.isdigit() for c in raw) >= 8 else []
        markup = extract_markup_links(raw) if ("<" in raw or "[" in raw) else 0
        name = author_name.lower()
        url = author_url.lower()
        url_links = extract_links(url) if url else []
        letters = [c for c in raw if c.isalpha()]
        n_letters = len(letters)
        caps = sum(c.isupper() for c in letters) / n_letters if n_letters >= 8 else 0.0
        toks = norm.split()
        repetition = 1.0 - len(set(toks)) / len(toks) if len(toks) >= 4 else 0.0
        digits = sum(c.isdigit() for c in raw) / max(len(raw), 1)
        return [
            math.log1p(len(links)),
            math.log1p(len({link.domain for link in links})),
            math.log1p(sum(link.shortener for link in links)),
            math.log1p(sum(link.suspicious_tld for link in links)),
            math.log1p(markup),
            obfuscated,
            math.log1p(len(emails)),
            math.log1p(len(phones)),
            1.0 if _MONEY.search(norm) else 0.0,
            1.0 if ("http" in name or "www." in name or extract_links(name)) else 0.0,
            1.0 if url else 0.0,
            1.0 if any(lk.shortener or lk.suspicious_tld for lk in url_links) else 0.0,
            1.0
            if _SPAM_AUTHOR_WORDS.search(name + " " + url + " " + author_email.lower())
            else 0.0,
            1.0 if sum(c.isdigit() for c in name) >= 3 else 0.0,
            math.log1p(len(raw)) / 5.0,
            caps,
            math.log1p(len(_CAPS_RUN.findall(raw))),
            math.log1p(raw.count("!")),
            repetition,
            digits,
        ]

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        return np.asarray(self.feature_names, dtype=object)


class TextShape(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Dense toxicity signals that n-grams miss: shouting, lexicon hits after unmasking."""

    feature_names: tuple[str, ...] = ("caps_ratio", "exclaims", "lexicon_hits", "log_len")

    def fit(self, X: Any, y: Any = None) -> TextShape:
        self.n_features_out_ = len(self.feature_names)
        return self

    def transform(self, X: NDArray[np.object_]) -> NDArray[np.float64]:
        out = np.zeros((X.shape[0], len(self.feature_names)), dtype=np.float64)
        for i, row in enumerate(X):
            raw = str(row[COL_RAW])
            norm = str(row[COL_NORM])
            letters = [c for c in raw if c.isalpha()]
            caps = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 8 else 0.0
            hits = sum(t in PROFANITY_LEXICON for t in _TOKEN.findall(norm))
            out[i] = (caps, math.log1p(raw.count("!")), math.log1p(hits), math.log1p(len(raw)) / 5)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        return np.asarray(self.feature_names, dtype=object)

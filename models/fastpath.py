"""Vectorised scoring of both models: one tokenisation and one dictionary lookup per token.

The Pipelines (used for training and as the reference) build each model's features token by
token in Python. :class:`BatchEngine` computes the same numbers for a batch with a few numpy and
scipy calls:

- the batch's normalised texts are joined with a separator character and tokenised with one
  regex call; each token is mapped to a *token id* with one dictionary lookup, shared by both
  models (a new token's features are computed once and appended to per-model tables);
- per model, a token-id -> feature-ids CSR table ``T`` turns the document x token-id count matrix
  ``C`` into unigram and character n-gram counts with one sparse product (no sorting to merge
  duplicate feature ids: the product accumulates them);
- word bigrams are looked up as integer keys (``bigram word id`` pairs) with ``searchsorted``;
- the lexicon features of the toxicity model are per-token flags and valences summed per
  document;
- the classifier is applied block-wise (n-gram block, then standardised dense block), so the two
  blocks are never stacked into one matrix;
- a batch of one comment (the api's and the worker's usual case) skips the sparse matrices,
  whose construction costs more than its arithmetic: its feature ids are gathered from the
  table's arrays and counted with ``np.unique``.

Only the Scorer uses this; nothing here is persisted.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from models.classifiers import MaskedMultiLabel
from models.features import (
    _TOKEN,
    INSULT_WORDS,
    SECOND_PERSON,
    SLUR_WORDS,
    STRONG_NEGATIVE,
    THREAT_WORDS,
    CommentFeatures,
    NgramVectorizer,
    SpamStructure,
    TextShape,
    char_counts,
)
from models.normalize import OBSCENE_WORDS

__all__ = ["BatchEngine"]

SEPARATOR = "\x00"  # removed by normalisation (a control character), so never inside a text
MAX_TOKENS = 150_000  # the token tables are reset past this many distinct tokens (memory bound)


class _TokenIds(dict[str, int]):
    """token -> id; an unseen token gets the next id and is queued for feature computation."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[str] = []

    def __missing__(self, token: str) -> int:
        new = len(self)
        self[token] = new
        self.pending.append(token)
        return new


class _Grow:
    """An append-only numpy array with amortised doubling."""

    def __init__(self, dtype: Any, fill: int = 0) -> None:
        self.buf: NDArray[Any] = np.full(1024, fill, dtype=dtype)
        self.n = 0
        self.fill = fill

    def extend(self, values: Sequence[float] | NDArray[Any]) -> None:
        k = len(values)
        if self.n + k > len(self.buf):
            cap = max(2 * len(self.buf), self.n + k)
            new = np.full(cap, self.fill, dtype=self.buf.dtype)
            new[: self.n] = self.buf[: self.n]
            self.buf = new
        self.buf[self.n : self.n + k] = values
        self.n += k

    @property
    def view(self) -> NDArray[Any]:
        return self.buf[: self.n]


class _ModelTables:
    """Per model: token id -> n-gram feature ids (CSR rows), bigram word id, dropped flag."""

    def __init__(self, features: CommentFeatures, clf: MaskedMultiLabel) -> None:
        text = features.text
        if not isinstance(text, NgramVectorizer):
            raise TypeError("CommentFeatures.text must be an NgramVectorizer")
        self.vec = text
        self.index = text._get_index()
        self.n_text = int(text.n_features_out_)
        self.idf = np.asarray(text.idf_, dtype=np.float32)
        self.drop = frozenset(text.drop_terms)
        self.bigrams = bool(text.word_bigrams)
        # bigram vocabulary as integer keys over "bigram word ids"
        words: dict[str, int] = {}
        firsts: list[int] = []
        seconds: list[int] = []
        feats: list[int] = []
        for term, j in self.index.items():
            if term.startswith("b:"):
                a, b = term[2:].split(" ", 1)
                firsts.append(words.setdefault(a, len(words)))
                seconds.append(words.setdefault(b, len(words)))
                feats.append(j)
        self.bigram_words = words
        self.n_words = max(len(words), 1)
        keys = np.asarray(firsts, dtype=np.int64) * self.n_words + np.asarray(seconds, np.int64)
        order = np.argsort(keys, kind="stable")
        self.bigram_keys = keys[order]
        self.bigram_feats = np.asarray(feats, dtype=np.int32)[order]
        # classifier, block-wise: n-gram block and standardised dense block
        coef_t = np.ascontiguousarray(clf.coef_.T, dtype=np.float32)
        self.w_text = coef_t[: self.n_text]
        self.w_dense = coef_t[self.n_text :].astype(np.float64)
        self.intercept = np.asarray(clf.intercept_, dtype=np.float64)
        self.mean = np.asarray(features.mean_, dtype=np.float64)
        self.scale = np.asarray(features.scale_, dtype=np.float64)
        self.reset()

    def reset(self) -> None:
        self.indices = _Grow(np.int32)
        self.indptr = _Grow(np.int64)
        self.indptr.extend([0])
        self.bid = _Grow(np.int64, fill=-1)
        self.dropped = _Grow(np.bool_)
        self._table: sp.csr_matrix | None = None

    def add(self, tokens: Sequence[str]) -> None:
        """Append the rows of newly seen tokens (in id order)."""
        index = self.index
        token_features = self.vec._token_features
        surface = self.vec.surface_token
        # what the features see of each token (None: no features, and left out of bigrams)
        shown = [None if t == SEPARATOR else surface(t) for t in tokens]
        words = self.bigram_words
        ends: list[int] = []
        flat: list[int] = []
        for u in shown:
            if u is not None:
                flat.extend(j for f in token_features(u) if (j := index.get(f)) is not None)
            ends.append(len(flat))
        base = int(self.indptr.view[-1])
        self.indices.extend(flat)
        self.indptr.extend(np.asarray(ends, dtype=np.int64) + base)
        self.bid.extend([-1 if u is None else words.get(u, -1) for u in shown])
        self.dropped.extend(
            [u is None and t != SEPARATOR for t, u in zip(tokens, shown, strict=True)]
        )
        self._table = None

    def table(self) -> sp.csr_matrix:
        """Token id x n-gram feature count matrix (rows may repeat a feature: a count)."""
        if self._table is None:
            n_tok = self.indptr.n - 1
            ind = self.indices.view
            self._table = sp.csr_matrix(
                (np.ones(len(ind), dtype=np.float32), ind, self.indptr.view),
                shape=(n_tok, self.n_text),
            )
        return self._table

    def _bigram_hits(
        self, ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.int32], NDArray[np.int64]] | None:
        """Bigram features of the token stream and the document of each (None: no bigram)."""
        if not self.bigrams or not len(self.bigram_keys) or len(ids) < 2:
            return None
        if self.drop:
            ids = ids[~self.dropped.view[ids]]
        doc = np.cumsum(ids == 0)  # doc of each token counts separators before it...
        doc -= ids == 0  # ...not counting its own
        b = self.bid.view[ids]
        first, second = b[:-1], b[1:]
        valid = (first >= 0) & (second >= 0)
        if not valid.any():
            return None
        keys = first[valid] * self.n_words + second[valid]
        pos = np.searchsorted(self.bigram_keys, keys)
        pos[pos == len(self.bigram_keys)] = 0
        hit = self.bigram_keys[pos] == keys
        if not hit.any():
            return None
        return self.bigram_feats[pos[hit]], doc[:-1][valid][hit]

    def bigram_matrix(self, ids: NDArray[np.int64], n_docs: int) -> sp.csr_matrix | None:
        hits = self._bigram_hits(ids)
        if hits is None:
            return None
        feats, rows = hits
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        return sp.csr_matrix(
            (np.ones(len(feats), dtype=np.float32), feats, indptr), shape=(n_docs, self.n_text)
        )

    def ngram_features(self, counts: sp.csr_matrix, ids: NDArray[np.int64]) -> sp.csr_matrix:
        """TF-IDF rows (sublinear tf, idf, l2), like NgramVectorizer.transform_tokens."""
        n_docs = counts.shape[0]
        mat: sp.csr_matrix = counts @ self.table()
        bigrams = self.bigram_matrix(ids, n_docs)
        if bigrams is not None:
            mat = mat + bigrams
        if mat.nnz == 0:
            return mat
        data = (np.log(mat.data.astype(np.float32)) + 1.0) * self.idf[mat.indices]
        rows = np.repeat(np.arange(n_docs), np.diff(mat.indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_docs))
        norms[norms == 0.0] = 1.0
        mat.data = (data / norms[rows]).astype(np.float32)
        return mat

    def ngram_logits(self, counts: sp.csr_matrix, ids: NDArray[np.int64]) -> NDArray[np.float64]:
        """The n-gram block's logits: :meth:`ngram_features` times its coefficients."""
        return np.asarray(self.ngram_features(counts, ids) @ self.w_text, dtype=np.float64)

    def one_ngram_logits(self, ids: NDArray[np.int64]) -> NDArray[np.float64]:
        """:meth:`ngram_logits` for a batch of one comment, without building sparse matrices:
        for one comment their construction costs more than the arithmetic."""
        starts = self.indptr.view[ids]
        lengths = self.indptr.view[ids + 1] - starts
        total = int(lengths.sum())
        # positions of every token's feature run in the flat table, run after run
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        feats = self.indices.view[offsets]
        hits = self._bigram_hits(ids)
        if hits is not None:
            feats = np.concatenate([feats, hits[0]])
        z = np.zeros((1, self.w_text.shape[1]), dtype=np.float64)
        if len(feats):
            cols, counts = np.unique(feats, return_counts=True)
            data = (np.log(counts.astype(np.float64)) + 1.0) * self.idf[cols]
            z[0] = (data / (math.sqrt(float(data @ data)) or 1.0)) @ self.w_text[cols]
        return z

    def logits(
        self, z_ngrams: NDArray[np.float64], dense: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Add the standardised dense block and the intercept to the n-gram block's logits."""
        z = z_ngrams + ((dense - self.mean) / self.scale).astype(np.float32).astype(np.float64) @ (
            self.w_dense
        )
        z += self.intercept
        return z


class BatchEngine:
    """Scores prepared batches on both models; see the module docstring."""

    def __init__(
        self,
        spam_features: CommentFeatures,
        spam_clf: MaskedMultiLabel,
        tox_features: CommentFeatures,
        tox_clf: MaskedMultiLabel,
    ) -> None:
        if not isinstance(spam_features.dense, SpamStructure):
            raise TypeError("the spam model's dense features must be SpamStructure")
        if not isinstance(tox_features.dense, TextShape):
            raise TypeError("the toxicity model's dense features must be TextShape")
        self.valence = tox_features.dense.valence()
        self.n_shape = len(tox_features.dense.feature_names)
        self.spam = _ModelTables(spam_features, spam_clf)
        self.tox = _ModelTables(tox_features, tox_clf)
        self._lock = threading.Lock()  # the token tables grow while scoring
        self._reset()

    def _reset(self) -> None:
        self.ids = _TokenIds()
        self.spam.reset()
        self.tox.reset()
        self.lex = _Grow(np.int8)
        self.val = _Grow(np.float32)
        self.ids[SEPARATOR]  # id 0
        self._flush()

    def _flush(self) -> None:
        pending = self.ids.pending
        if not pending:
            return
        self.spam.add(pending)
        self.tox.add(pending)
        # lexicon flags: 1 obscene, 2 insult, 4 slur, 8 threat, 16 second person
        self.lex.extend(
            [
                (t in OBSCENE_WORDS)
                | (t in INSULT_WORDS) << 1
                | (t in SLUR_WORDS) << 2
                | (t in THREAT_WORDS) << 3
                | (t in SECOND_PERSON) << 4
                for t in pending
            ]
        )
        valence = self.valence
        self.val.extend([valence.get(t, 0.0) for t in pending])
        self.ids.pending = []

    def token_ids(self, normalised: Sequence[str]) -> NDArray[np.int64]:
        """Token ids of the batch, every document followed by the separator (id 0)."""
        if len(self.ids) > MAX_TOKENS:
            self._reset()
        tokens = _TOKEN.findall(SEPARATOR.join(normalised) + SEPARATOR)
        ids = np.fromiter(map(self.ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        self._flush()
        return ids

    def probabilities(
        self, raw: Sequence[str], normalised: Sequence[str], authors: Sequence[tuple[str, str, str]]
    ) -> NDArray[np.float64]:
        """(n, 7): P(spam) then the six toxicity labels, clipped to [0, 1]."""
        with self._lock:
            return self._probabilities(raw, normalised, authors)

    def _probabilities(
        self, raw: Sequence[str], normalised: Sequence[str], authors: Sequence[tuple[str, str, str]]
    ) -> NDArray[np.float64]:
        n = len(raw)
        ids = self.token_ids(normalised)
        shape = [char_counts(r) for r in raw]
        spam_dense = np.array(
            [
                SpamStructure.row_features(r, m, *a, counts=c)
                for r, m, a, c in zip(raw, normalised, authors, shape, strict=True)
            ],
            dtype=np.float64,
        ).reshape(n, -1)
        if n == 1:
            z_spam_ngrams = self.spam.one_ngram_logits(ids)
            z_tox_ngrams = self.tox.one_ngram_logits(ids)
        else:
            ends = np.flatnonzero(ids == 0)
            indptr = np.zeros(n + 1, dtype=np.int64)
            indptr[1:] = ends + 1
            counts = sp.csr_matrix(
                (np.ones(len(ids), dtype=np.float32), ids, indptr), shape=(n, len(self.ids))
            )
            z_spam_ngrams = self.spam.ngram_logits(counts, ids)
            z_tox_ngrams = self.tox.ngram_logits(counts, ids)
        z_spam = self.spam.logits(z_spam_ngrams, spam_dense)
        z_tox = self.tox.logits(z_tox_ngrams, self._text_shape(raw, shape, ids, n))
        z = np.hstack([z_spam[:, :1], z_tox])
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return out.clip(0.0, 1.0)

    def _text_shape(
        self,
        raw: Sequence[str],
        shape: Sequence[tuple[int, int, int]],
        ids: NDArray[np.int64],
        n: int,
    ) -> NDArray[np.float64]:
        """TextShape.rows, from per-token lexicon flags and valences."""
        out = np.zeros((n, self.n_shape), dtype=np.float64)
        for i, (r, (n_letters, n_upper, _)) in enumerate(zip(raw, shape, strict=True)):
            out[i, 0] = n_upper / n_letters if n_letters >= 8 else 0.0
            out[i, 1] = math.log1p(r.count("!"))
            out[i, 7] = math.log1p(len(r)) / 5
        seps = np.flatnonzero(ids == 0)
        flags = self.lex.view[ids]
        hit = np.flatnonzero(flags)
        you = np.zeros(n, dtype=bool)
        if len(hit):
            doc = np.searchsorted(seps, hit)
            f = flags[hit]
            for col, bit in ((2, 1), (3, 2), (4, 4)):
                out[:, col] = np.log1p(np.bincount(doc, weights=(f & bit) > 0, minlength=n))
            threat = (f & 8) > 0
            if threat.any():  # distinct threat words
                pairs = np.unique(np.stack([doc[threat], ids[hit][threat]], axis=1), axis=0)
                out[:, 5] = np.log1p(np.bincount(pairs[:, 0], minlength=n))
            insult = np.bincount(doc, weights=(f & 2) > 0, minlength=n) > 0
            you = np.bincount(doc, weights=(f & 16) > 0, minlength=n) > 0
            out[:, 6] = (insult & you).astype(np.float64)
        v = self.val.view[ids].astype(np.float64)
        rated = np.flatnonzero(v)
        if len(rated):
            doc = np.searchsorted(seps, rated)
            vr = v[rated]
            neg = np.bincount(doc, weights=np.where(vr < 0, -vr, 0.0), minlength=n)
            pos = np.bincount(doc, weights=np.where(vr > 0, vr, 0.0), minlength=n)
            most = np.zeros(n)
            np.minimum.at(most, doc, vr)
            n_tokens = np.diff(seps, prepend=-1) - 1
            out[:, 8] = np.log1p(neg)
            out[:, 9] = np.log1p(pos)
            out[:, 10] = -most / 4
            out[:, 11] = np.log1p(np.bincount(doc, weights=vr <= STRONG_NEGATIVE, minlength=n))
            out[:, 12] = np.where(you, out[:, 8], 0.0)
            out[:, 13] = (neg + pos) / (1 + n_tokens) * 10
        return out

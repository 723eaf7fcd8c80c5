"""Duplicate and near-duplicate content across a site's recent comments.

Exact repeats are counted by a digest of the normalised text; near repeats by a 64-bit SimHash
of character 4-grams compared by Hamming distance with the site's recent fingerprints. Character
shingles, not word shingles, because comments are short: one changed word in ten moves a word
SimHash by ~15 bits but a character one by ~12, while unrelated texts sit near 32.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from service.schemas import Finding
from service.store import Store
from workers.checks.base import CheckContext

__all__ = ["DuplicateCheck", "hamming", "simhash"]

_WORD = re.compile(r"\w+")
MIN_CHARS = 25
MIN_WORDS = 8
NEAR_DISTANCE = 12
KEEP_FINGERPRINTS = 2000
SEEN_TTL = 7 * 86400


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def simhash(text: str, width: int = 4) -> int:
    """SimHash over overlapping ``width``-character shingles of ``text``."""
    shingles = [text[i : i + width] for i in range(max(1, len(text) - width + 1))]
    digests = b"".join(hashlib.blake2b(x.encode(), digest_size=8).digest() for x in shingles)
    # one row of 64 bits per shingle (big-endian, so column j is bit 63 - j); a bit of the
    # fingerprint is set where most shingles have it set
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(shingles), 64)
    majority = bits.sum(axis=0) * 2 > len(shingles)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class _Recent:
    """A site's recent fingerprints as an array, so one comparison covers them all."""

    def __init__(self, rows: list[tuple[str, int]]) -> None:
        self.ids = [rid for rid, _ in rows]
        self.prints = np.array([fp for _, fp in rows], dtype=np.uint64)

    def near(self, fingerprint: int, distance: int) -> list[str]:
        if not self.ids:
            return []
        bits = np.bitwise_count(self.prints ^ np.uint64(fingerprint))
        return [self.ids[i] for i in np.flatnonzero(bits <= distance)]

    def add(self, record_id: str, fingerprint: int) -> None:
        self.ids.insert(0, record_id)
        self.prints = np.concatenate([np.array([fingerprint], dtype=np.uint64), self.prints])


class DuplicateCheck:
    name = "duplicates"
    version = "1"

    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        normalised = [" ".join(_words(ctx.text)) for ctx in batch]
        exact = [i for i, text in enumerate(normalised) if len(text) >= MIN_CHARS]
        seen = self.store.note_contents(
            [
                (
                    batch[i].site.id,
                    hashlib.sha256(normalised[i].encode()).hexdigest()[:32],
                    batch[i].record.id,
                )
                for i in exact
            ],
            SEEN_TTL,
        )
        out: list[list[Finding]] = [[] for _ in batch]
        for i, count in zip(exact, seen, strict=True):
            if count >= 2:
                out[i].append(
                    Finding(
                        code="DUPLICATE_CONTENT",
                        check=self.name,
                        score=min(1.0, (count - 1) / 2),
                        detail=f"the same text was posted {count} times",
                    )
                )
        recent: dict[str, _Recent] = {}
        added: list[tuple[str, str, int]] = []
        for ctx, text, findings in zip(batch, normalised, out, strict=True):
            if text.count(" ") + 1 < MIN_WORDS:
                continue
            site_id, record_id = ctx.site.id, ctx.record.id
            fingerprint = simhash(text)
            if site_id not in recent:
                recent[site_id] = _Recent(self.store.recent_fingerprints(site_id))
            close = [
                rid for rid in recent[site_id].near(fingerprint, NEAR_DISTANCE) if rid != record_id
            ]
            if close and not findings:
                findings.append(
                    Finding(
                        code="NEAR_DUPLICATE",
                        check=self.name,
                        score=min(1.0, len(close) / 2),
                        detail=f"nearly the same as {len(close)} recent comment(s)",
                    )
                )
            if record_id not in recent[site_id].ids:
                added.append((site_id, record_id, fingerprint))
                recent[site_id].add(record_id, fingerprint)
        self.store.add_fingerprints(added, KEEP_FINGERPRINTS)
        return out

"""Duplicate and near-duplicate content across a site's recent comments.

Exact repeats are counted by a digest of the normalised text; near repeats by a 64-bit SimHash
of character 4-grams compared by Hamming distance with the site's recent fingerprints. Character
shingles, not word shingles, because comments are short: one changed word in ten moves a word
SimHash by ~15 bits but a character one by ~12, while unrelated texts sit near 32.
"""

from __future__ import annotations

import hashlib
import re

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
    weights = [0] * 64
    for i in range(max(1, len(text) - width + 1)):
        shingle = text[i : i + width]
        h = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class DuplicateCheck:
    name = "duplicates"
    version = "1"

    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        recent: dict[str, list[tuple[str, int]]] = {}
        for ctx in batch:
            findings: list[Finding] = []
            words = _words(ctx.text)
            normalised = " ".join(words)
            site_id, record_id = ctx.site.id, ctx.record.id
            if len(normalised) >= MIN_CHARS:
                digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
                seen = self.store.note_content(site_id, digest, record_id, SEEN_TTL)
                if seen >= 2:
                    findings.append(
                        Finding(
                            code="DUPLICATE_CONTENT",
                            check=self.name,
                            score=min(1.0, (seen - 1) / 2),
                            detail=f"the same text was posted {seen} times",
                        )
                    )
            if len(words) >= MIN_WORDS:
                fingerprint = simhash(normalised)
                if site_id not in recent:
                    recent[site_id] = self.store.recent_fingerprints(site_id)
                close = [
                    rid
                    for rid, fp in recent[site_id]
                    if rid != record_id and hamming(fp, fingerprint) <= NEAR_DISTANCE
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
                if all(rid != record_id for rid, _ in recent[site_id]):
                    self.store.add_fingerprint(site_id, record_id, fingerprint, KEEP_FINGERPRINTS)
                    recent[site_id].insert(0, (record_id, fingerprint))
            out.append(findings)
        return out

"""Per-site word lists: block, hold and allow, matched as whole words.

Whole-word matching keeps "Scunthorpe" safe from a block on its middle; a trailing or leading
``*`` opts a word into prefix/suffix matching, and an allow entry exempts the words it covers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.schemas import Finding, WordLists
from workers.checks.base import CheckContext

__all__ = ["WordListCheck", "compile_words"]


def _pattern(word: str) -> str:
    core = re.escape(word.strip("*").casefold()).replace(r"\ ", r"\s+")
    left = r"\w*" if word.startswith("*") else ""
    right = r"\w*" if word.endswith("*") else ""
    return rf"(?<!\w){left}{core}{right}(?!\w)"


@lru_cache(maxsize=512)
def compile_words(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({w for w in words if w.strip("*").strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile("|".join(_pattern(w) for w in cleaned), re.IGNORECASE)


def _matches(lists: WordLists, kind: str, text: str) -> list[tuple[int, int, str]]:
    pattern = compile_words(tuple(getattr(lists, kind)))
    if pattern is None:
        return []
    allow = compile_words(tuple(lists.allow))
    allowed = {m.group().casefold() for m in allow.finditer(text)} if allow else set()
    return [
        (m.start(), m.end(), m.group())
        for m in pattern.finditer(text)
        if m.group().casefold() not in allowed
    ]


class WordListCheck:
    name = "words"
    version = "1"

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for ctx in batch:
            lists = ctx.site.config.words
            findings: list[Finding] = []
            comment = ctx.record.comment
            body = ctx.text if comment.content_format == "html" else comment.content
            text = body + "\n" + comment.author.name
            for kind, code in (("block", "BLOCKED_WORD"), ("hold", "HOLD_WORD")):
                hits = _matches(lists, kind, text)
                if hits:
                    findings.append(
                        Finding(
                            code=code,
                            check=self.name,
                            score=1.0,
                            detail=f"{kind} list: " + ", ".join(sorted({h for _, _, h in hits})),
                            spans=[
                                (s, e)
                                for s, e, _ in hits
                                if e <= len(body) and comment.content_format != "html"
                            ],
                        )
                    )
            out.append(findings)
        return out

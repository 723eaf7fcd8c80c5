"""Relevance: a long comment that shares no content word with the post's title and excerpt.

Only when the blog sends the title or excerpt. Chit-chat ("great post!") is short and passes;
what this catches is the long generic text that spam templates paste under any post.
"""

from __future__ import annotations

import re

from service.schemas import Finding
from workers.checks.base import CheckContext

__all__ = ["RelevanceCheck", "content_words"]

_WORD = re.compile(r"[^\W\d_]{4,}")
MIN_CONTENT_WORDS = 15
_COMMON = frozenset(
    "this that with have from your about there their would could should which what when where "
    "will been were they them then than just like also very more most some such only into over "
    "here post article thanks thank great good nice really much many well make made".split()
)


def content_words(text: str) -> set[str]:
    """Words of four letters or more that are not common filler, folded to a crude stem."""
    return {w.casefold()[:6] for w in _WORD.findall(text) if w.casefold() not in _COMMON}


class RelevanceCheck:
    name = "relevance"
    version = "1"

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for ctx in batch:
            post = ctx.record.comment.post
            topic = content_words(f"{post.title} {post.excerpt}")
            words = content_words(ctx.text)
            if topic and len(words) >= MIN_CONTENT_WORDS and not words & topic:
                out.append(
                    [
                        Finding(
                            code="OFF_TOPIC",
                            check=self.name,
                            score=1.0,
                            detail="shares no content word with the post's title or excerpt",
                        )
                    ]
                )
            else:
                out.append([])
        return out

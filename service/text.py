"""Comment text as readers see it, and the words of it that word-list suggestions count."""

from __future__ import annotations

import html
import re

__all__ = ["plain_text", "suggestion_words"]

_TAG = re.compile(r"<[^>]*>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((\S+?)\)")


def plain_text(content: str, content_format: str) -> str:
    """The text a reader sees: tags dropped and entities decoded for HTML, links kept as text."""
    if content_format == "html":
        return html.unescape(_TAG.sub(" ", content))
    if content_format == "markdown":
        return _MD_LINK.sub(r"\1 \2", content)
    return content


_WORD = re.compile(r"[^\W\d_]{4,30}")
_COMMON = frozenset(
    [
        "this",
        "that",
        "with",
        "have",
        "from",
        "your",
        "what",
        "when",
        "were",
        "will",
        "would",
        "there",
        "their",
        "they",
        "them",
        "then",
        "than",
        "just",
        "like",
        "about",
        "been",
        "more",
        "some",
        "very",
        "also",
        "only",
        "into",
        "over",
        "such",
        "here",
        "because",
        "could",
        "should",
        "which",
        "these",
        "those",
        "other",
        "after",
        "before",
        "really",
        "think",
        "thanks",
        "thank",
        "great",
        "good",
        "nice",
        "post",
    ]
)


def suggestion_words(text: str, limit: int = 50) -> list[str]:
    """Distinct words of a comment worth counting for word-list suggestions."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text.casefold()):
        word = match.group()
        if word not in _COMMON:
            seen.setdefault(word, None)
        if len(seen) >= limit:
            break
    return list(seen)

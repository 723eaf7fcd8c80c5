"""What every check sees, and the one method it has."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from typing import Protocol

from service.schemas import CommentRecord, Finding, SitePublic

__all__ = ["Check", "CheckContext", "plain_text"]

_TAG = re.compile(r"<[^>]*>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((\S+?)\)")


def plain_text(content: str, content_format: str) -> str:
    """The text a reader sees: tags dropped and entities decoded for HTML, links kept as text."""
    if content_format == "html":
        return html.unescape(_TAG.sub(" ", content))
    if content_format == "markdown":
        return _MD_LINK.sub(r"\1 \2", content)
    return content


@dataclass
class CheckContext:
    """One comment under scoring, with what several checks derive from it computed once."""

    record: CommentRecord
    site: SitePublic
    text: str = field(init=False)
    author_key: str = field(init=False)

    def __post_init__(self) -> None:
        comment = self.record.comment
        self.text = plain_text(comment.content, comment.content_format)
        identity = comment.author.email.strip().lower() or comment.author.ip or ""
        self.author_key = hashlib.sha256(identity.encode()).hexdigest()[:24] if identity else ""


class Check(Protocol):
    """Looks at a batch of comments and returns the findings of each, in order.

    A check never decides and never raises to its caller on bad input: the pipeline turns an
    exception into a CHECK_FAILED finding, and such a comment is not auto-approved.
    """

    name: str
    version: str

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]: ...

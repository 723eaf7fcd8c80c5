"""What every check sees, and the one method it has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from service.authors import author_key
from service.schemas import CommentRecord, Finding, SitePublic
from service.text import plain_text

__all__ = ["Check", "CheckContext", "plain_text"]


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
        self.author_key = author_key(comment.author)


class Check(Protocol):
    """Looks at a batch of comments and returns the findings of each, in order.

    A check never decides and never raises to its caller on bad input: the pipeline turns an
    exception into a CHECK_FAILED finding, and such a comment is not auto-approved.
    """

    name: str
    version: str

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]: ...

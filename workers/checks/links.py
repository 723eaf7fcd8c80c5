"""Links: how many, which kind (shorteners, markup), and links in the author's name."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from models.normalize import LINK_TRAILING_PUNCTUATION, URL_SHORTENERS
from service.schemas import Finding
from workers.checks.base import CheckContext

__all__ = ["LinksCheck", "find_links"]

_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'\])]+")
_BARE_DOMAIN = re.compile(
    r"(?i)\b[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63})*\.(?:com|net|org|info|biz|xyz|top|ru|cn|io|co|me|ly|gd|gl|site|online|shop|club|link|click)\b(?:/[^\s]*)?"
)
# shortener links with a path, whatever their TLD ("rb.gy/x", "tr.im/x", "bl.ink/x")
_BARE_SHORTENER = re.compile(
    r"(?i)\b(?:"
    + "|".join(re.escape(h) for h in sorted(URL_SHORTENERS, key=len, reverse=True))
    + r")/[^\s<>\"'\])]+"
)
_MARKUP = re.compile(r"(?i)<a\s[^>]*href|\[url[=\]]|\[link[=\]]|\]\(https?://")


def _host(url: str) -> str:
    if not url.lower().startswith(("http://", "https://")):
        url = "http://" + url
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def find_links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, host) of each link-looking thing: explicit URLs, then bare shortener links,
    then bare domains; a stretch one of them covered is not matched again."""
    found: list[tuple[int, int, str]] = []
    for pattern in (_URL, _BARE_SHORTENER, _BARE_DOMAIN):
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e, _ in found):
                continue
            link = m.group().rstrip(LINK_TRAILING_PUNCTUATION)
            found.append((m.start(), m.start() + len(link), _host(link)))
    return sorted(found)


class LinksCheck:
    name = "links"
    version = "1"

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        return [self._one(ctx) for ctx in batch]

    def _one(self, ctx: CheckContext) -> list[Finding]:
        comment = ctx.record.comment
        # offsets into the content as sent, which is what moderators are shown
        links = find_links(comment.content)
        findings: list[Finding] = []
        if len(links) >= 2:
            findings.append(
                Finding(
                    code="LINK_COUNT",
                    check=self.name,
                    score=min(1.0, (len(links) - 1) / 3),
                    detail=f"{len(links)} links",
                    spans=[(s, e) for s, e, _ in links][:20],
                )
            )
        short = [(s, e, h) for s, e, h in links if h in URL_SHORTENERS]
        if short:
            findings.append(
                Finding(
                    code="LINK_SHORTENER",
                    check=self.name,
                    score=1.0,
                    detail="link shortener: " + ", ".join(sorted({h for _, _, h in short})),
                    spans=[(s, e) for s, e, _ in short],
                )
            )
        if _MARKUP.search(comment.content):
            findings.append(
                Finding(code="MARKUP_LINK", check=self.name, score=1.0, detail="markup link")
            )
        if find_links(comment.author.name):
            findings.append(
                Finding(
                    code="AUTHOR_NAME_LINK",
                    check=self.name,
                    score=1.0,
                    detail="link in the author's name",
                )
            )
        return findings

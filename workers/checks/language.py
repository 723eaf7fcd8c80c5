"""Language: a comment written in another language than the one the blog declares for the post.

Comment spam is often in a language the blog does not use. Detection is deliberately modest (the
writing system, then common function words of a few languages) and speaks only when sure.
"""

from __future__ import annotations

import re
import unicodedata

from service.schemas import Finding
from workers.checks.base import CheckContext

__all__ = ["LanguageCheck", "detect_language"]

_WORD = re.compile(r"[^\W\d_]+")
MIN_WORDS = 6

# the most frequent function words; a language wins when it clearly leads on these
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and is are was to of in that it for you with this on not be have".split()),
    "de": frozenset("der die das und ist nicht ich sie es mit auf für ein eine zu den von".split()),
    "fr": frozenset("le la les et est une des pas que pour dans qui sur avec il elle vous".split()),
    "es": frozenset("el la los las y es una por que para con del en muy pero como está".split()),
    "it": frozenset("il lo la gli e è una per che con del non sono della questo molto".split()),
    "pt": frozenset("o os as e é uma por que para com não do da em muito mas está".split()),
    "nl": frozenset("de het een en is niet ik je dat met voor op van zijn maar ook".split()),
}
_SCRIPTS = {
    "CYRILLIC": "ru", "ARABIC": "ar", "HEBREW": "he", "GREEK": "el", "HANGUL": "ko",
    "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh", "THAI": "th", "DEVANAGARI": "hi",
}  # fmt: skip


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return next((lang for script, lang in _SCRIPTS.items() if name.startswith(script)), "")


def detect_language(text: str) -> str:
    """An ISO 639-1 code when the text clearly is in one language, else an empty string."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12:
        return ""
    scripts: dict[str, int] = {}
    for char in letters:
        lang = _script(char)
        scripts[lang] = scripts.get(lang, 0) + 1
    top, count = max(scripts.items(), key=lambda kv: kv[1])
    if top and count / len(letters) > 0.6:
        return top
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return ""
    hits = sorted(
        ((sum(w in stop for w in words), lang) for lang, stop in _STOPWORDS.items()), reverse=True
    )
    (best, lang), (second, _) = hits[0], hits[1]
    if best >= 2 and best >= 2 * second and best / len(words) >= 0.1:
        return lang
    return ""


class LanguageCheck:
    name = "language"
    version = "1"

    def run(self, batch: list[CheckContext]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for ctx in batch:
            declared = ctx.record.comment.post.lang.split("-")[0].strip().lower()
            found = detect_language(ctx.text) if declared else ""
            if found and found != declared:
                out.append(
                    [
                        Finding(
                            code="LANGUAGE_MISMATCH",
                            check=self.name,
                            score=1.0,
                            detail=f"written in {found!r}; the post is {declared!r}",
                        )
                    ]
                )
            else:
                out.append([])
        return out

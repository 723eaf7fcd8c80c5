# ruff: noqa: RUF001
"""Text normalisation shared by every model.

Spammers and trolls disguise words (``f*ck``, ``id1ot``, ``F U C K``, Cyrillic look-alikes) and
links (``b i t . l y / x``, ``example[dot]com``) to slip past filters. Every model sees text after
:func:`normalize`, so a disguise costs the writer effort and buys nothing.

The same steps run in two modes: :func:`normalize` (fast, used for scoring) and
:func:`normalize_with_offsets` (slower, also returns for each output character the index of the
input character it came from, so explanations can point into the original text). Both modes share
one definition of the steps, so they always produce the same string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "IDENTITY_TERMS",
    "LINK_TRAILING_PUNCTUATION",
    "OBSCENE_WORDS",
    "PROFANITY_LEXICON",
    "URL_SHORTENERS",
    "Link",
    "extract_emails",
    "extract_links",
    "extract_markup_links",
    "extract_phones",
    "fold_chars",
    "normalize",
    "normalize_with_offsets",
]

# Look-alike letters from other scripts that NFKC keeps apart from Latin (a subset of Unicode's
# confusables.txt that covers what is seen in spam: Cyrillic, Greek, a few symbols).
_CONFUSABLES: dict[str, str] = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "ո": "n", "ս": "u", "α": "a", "β": "b", "ε": "e",
    "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ω": "w", "ɑ": "a", "ı": "i", "ȷ": "j", "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae",
    "œ": "oe", "þ": "th", "ð": "d", "€": "e", "¢": "c", "£": "l", "¥": "y", "©": "c", "®": "r",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "´": "'",
    "`": "'", "–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-", "…": "...",
}  # fmt: skip

# Obscene words; counted as a toxicity feature and unmasked like the rest of the lexicon below.
OBSCENE_WORDS: frozenset[str] = frozenset(
    [
        "arse",
        "ass",
        "asshole",
        "assholes",
        "bastard",
        "bastards",
        "bitch",
        "bitches",
        "bullshit",
        "cock",
        "cocksucker",
        "crap",
        "cunt",
        "cunts",
        "damn",
        "douche",
        "dick",
        "dicks",
        "dickhead",
        "dumbass",
        "fuck",
        "fucked",
        "fucker",
        "fuckers",
        "fucking",
        "fuckin",
        "fucks",
        "hoe",
        "motherfucker",
        "piss",
        "pissed",
        "porn",
        "prick",
        "pricks",
        "pussy",
        "shit",
        "shits",
        "shithead",
        "shitty",
        "slut",
        "sluts",
        "twat",
        "wanker",
        "wankers",
        "whore",
        "whores",
    ]
)

# Words whose masked or leetspeak forms are unmasked (f*ck, sh!t, a$$). Whole words only.
PROFANITY_LEXICON: frozenset[str] = OBSCENE_WORDS | frozenset(
    [
        "bitcoin",
        "casino",
        "chink",
        "cialis",
        "coon",
        "crypto",
        "die",
        "dumb",
        "dyke",
        "fag",
        "faggot",
        "fags",
        "idiot",
        "idiots",
        "jerk",
        "kike",
        "kill",
        "loser",
        "moron",
        "morons",
        "nigga",
        "niggas",
        "nigger",
        "rape",
        "retard",
        "retarded",
        "scum",
        "sex",
        "spic",
        "stupid",
        "suck",
        "sucks",
        "tranny",
        "trash",
        "viagra",
        "wetback",
    ]
)

# Identity terms (Dixon et al. 2018 and similar lists): the toxicity features drop them, so the
# model cannot learn that mentioning an identity is toxic. Slurs are not identity terms and stay.
IDENTITY_TERMS: frozenset[str] = frozenset(
    [
        "gay",
        "gays",
        "lesbian",
        "lesbians",
        "bisexual",
        "bi",
        "transgender",
        "trans",
        "transsexual",
        "queer",
        "lgbt",
        "lgbtq",
        "lgbtqia",
        "homosexual",
        "homosexuals",
        "heterosexual",
        "straight",
        "nonbinary",
        "intersex",
        "asexual",
        "male",
        "males",
        "female",
        "females",
        "man",
        "men",
        "woman",
        "women",
        "boy",
        "boys",
        "girl",
        "girls",
        "african",
        "africans",
        "black",
        "blacks",
        "white",
        "whites",
        "european",
        "europeans",
        "hispanic",
        "hispanics",
        "latino",
        "latinos",
        "latina",
        "latinas",
        "latinx",
        "mexican",
        "mexicans",
        "canadian",
        "canadians",
        "american",
        "americans",
        "asian",
        "asians",
        "indian",
        "indians",
        "chinese",
        "japanese",
        "korean",
        "arab",
        "arabs",
        "middle",
        "eastern",
        "jew",
        "jews",
        "jewish",
        "muslim",
        "muslims",
        "islam",
        "islamic",
        "christian",
        "christians",
        "christianity",
        "catholic",
        "catholics",
        "protestant",
        "protestants",
        "buddhist",
        "buddhists",
        "hindu",
        "hindus",
        "sikh",
        "sikhs",
        "taoist",
        "atheist",
        "atheists",
        "mormon",
        "mormons",
        "immigrant",
        "immigrants",
        "refugee",
        "refugees",
        "old",
        "older",
        "young",
        "younger",
        "teenage",
        "teenager",
        "teenagers",
        "millennial",
        "millenial",
        "elderly",
        "blind",
        "deaf",
        "disabled",
        "paralyzed",
    ]
)

# Hosts whose links hide where they lead (the spam model's feature and the worker's finding).
# youtu.be always leads to YouTube and linktr.ee is a page of links, so neither is one.
URL_SHORTENERS: frozenset[str] = frozenset(
    [
        "adf.ly",
        "bit.do",
        "bit.ly",
        "bitly.com",
        "bl.ink",
        "buff.ly",
        "clck.ru",
        "cutt.ly",
        "goo.gl",
        "is.gd",
        "lnkd.in",
        "ouo.io",
        "ow.ly",
        "qr.net",
        "rb.gy",
        "rebrand.ly",
        "s.id",
        "shorte.st",
        "shorturl.at",
        "soo.gd",
        "t.co",
        "t.ly",
        "tiny.cc",
        "tinyurl.com",
        "tr.im",
        "trib.al",
        "v.gd",
        "x.co",
    ]
)
_SUSPICIOUS_TLDS = frozenset(
    [
        "xyz",
        "top",
        "club",
        "online",
        "site",
        "icu",
        "buzz",
        "live",
        "click",
        "link",
        "loan",
        "work",
        "win",
        "bid",
        "stream",
        "download",
        "racing",
        "review",
        "country",
        "kim",
        "science",
        "party",
        "gq",
        "ml",
        "cf",
        "ga",
        "tk",
        "cam",
        "rest",
        "monster",
        "fit",
        "cyou",
        "sbs",
        "cfd",
        "ru",
        "cn",
        "pw",
    ]
)
_TLDS = (
    "com|net|org|info|biz|io|co|us|uk|de|fr|ru|cn|in|me|tv|ly|gl|gd|xyz|top|club|online|site|icu|"
    "buzz|live|click|link|loan|work|win|bid|stream|download|review|party|gq|ml|cf|ga|tk|cam|fit|"
    "shop|store|app|dev|ai|be|to|at|es|it|nl|pl|br|au|ca|jp|ws|cc|pw|su|eu|edu|gov|mobi|pro|tel|"
    "ee|ph|id|vn|sbs|cfd|cyou|rest|monster"
)


@dataclass(frozen=True)
class Link:
    """A link found in a comment."""

    url: str
    """The link as written after de-obfuscation, lower-cased."""
    domain: str
    """Host name without ``www.``."""
    shortener: bool
    """The domain is a known URL shortener."""
    suspicious_tld: bool
    """The domain ends in a TLD that is mostly used for spam."""


# --- character folding -----------------------------------------------------------------------


class _FoldTable(dict[int, str]):
    """``str.translate`` table that computes (and caches) the folding of each character."""

    def __missing__(self, code: int) -> str:
        folded = _fold_one(chr(code))
        self[code] = folded
        return folded


def _fold_one(char: str) -> str:
    category = unicodedata.category(char)
    if char in "\n\t\r":
        return " "
    if category in ("Cc", "Cf", "Co", "Cs", "Cn") or category.startswith("M"):
        return ""  # control, zero-width (Cf: ZWSP, ZWJ, BOM, bidi marks), combining marks
    if category == "Zs":
        return " "
    out = []
    for part in unicodedata.normalize("NFKC", char):
        base = _CONFUSABLES.get(part.lower(), part)
        # strip accents: "fück" -> "fuck"; keep the letter when it has no decomposition
        decomposed = unicodedata.normalize("NFKD", base)
        stripped = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
        out.append((stripped or base).lower())
    return "".join(out)


_FOLD = _FoldTable()


def fold_chars(text: str) -> str:
    """NFKC, control and zero-width removal, confusables and accents folded, lower-cased."""
    if text.isascii():
        return text.lower().translate(_ASCII_FOLD)
    return text.translate(_FOLD)


_ASCII_FOLD = dict.fromkeys((9, 10, 13), " ") | {c: "" for c in range(32) if c not in (9, 10, 13)}
_ASCII_FOLD[127] = ""
_ASCII_FOLD[ord("`")] = "'"

# --- regex steps -----------------------------------------------------------------------------

_Repl = Callable[[re.Match[str]], str]

_HTML_LINK = re.compile(
    r"<a\b[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a\s*>", re.DOTALL | re.IGNORECASE
)
_BBCODE_LINK = re.compile(r"\[url=([^\]\s]+)\](.*?)\[/url\]|\[url\](.*?)\[/url\]", re.DOTALL)
_TAG = re.compile(r"</?[a-z][^<>]{0,300}>|\[/?(?:b|i|u|s|img|quote|code|size|color|link)\b[^\]]*\]")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,5});")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&nbsp;": " "}
_OBF_DOT = re.compile(
    r"\s*(?:[\[\(\{<]\s*(?:dot|\.)\s*[\]\)\}>])\s*|\s+dot\s+(?=(?:" + _TLDS + r")\b)"
)
_OBF_AT = re.compile(r"\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*")
_SPACED_DOT = re.compile(
    r" \.(?<=\w \.) (?=(?:" + _TLDS + r")\b)|\.(?<=\w\.)\s+(?=(?:" + _TLDS + r")\b/)"
)
# single characters separated by single spaces: "f u c k", "b i t . l y / x"
# (each pattern starts with a character class, lookbehinds come after it: the regex engine can
# then skip to candidate characters instead of trying every position)
_SPACED = re.compile(r"[a-z0-9./:](?<!\S.)\s(?:[a-z0-9./:]\s)+[a-z0-9./:](?!\S)")
# single letters separated by dots, dashes, underscores or stars: "f.u.c.k", "s-h-i-t"
_SEPARATED = re.compile(r"[a-z](?<![\w.][a-z])[._\-*~][a-z](?:[._\-*~][a-z])+(?![\w])")
# a run of letters, digits and leet symbols holding at least one non-letter (letters are checked
# in _wordish)
# (and at least one letter: a run without letters is left as it is, so it is not even matched)
_WORDISH = re.compile(
    r"(?<![a-z0-9@$!*#|+])(?=[0-9@$!*#|+]*[a-z])[a-z0-9@$!*#|+]*[0-9@$!*#|+][a-z0-9@$!*#|+]*"
)
_LEET = str.maketrans("013457892@$!|+", "oieastbgzasiit")
_REPEAT = re.compile(r"([a-z])\1\1+")
_SPACE = re.compile(r"\s+")


def _html_link(m: re.Match[str]) -> str:
    return f" {m.group(1)} {m.group(2)} "


def _bbcode_link(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return f" {m.group(1)} {m.group(2)} "
    return f" {m.group(3)} "


def _spaced(m: re.Match[str]) -> str:
    s = m.group(0)
    letters = sum(c.isalpha() for c in s)
    if letters < 3:
        return s
    return s.replace(" ", "")


def _separated(m: re.Match[str]) -> str:
    return re.sub(r"[._\-*~]", "", m.group(0))


def _mask_regex(parts: list[str], slack: int) -> str:
    """A masked token's parts as a regex: each run of n marks stands for n +- slack letters."""
    return "".join(
        f"[a-z]{{{max(len(part) - slack, 1)},{len(part) + slack}}}"
        if part[:1] in ("*", "#")
        else re.escape(part.translate(_LEET))
        for part in parts
    )


def _unmask(token: str) -> str:
    """``f*ck`` -> ``fuck`` (when the lexicon has a match); ``id1ot`` -> ``idiot``."""
    full = token.translate(_LEET)
    if full in PROFANITY_LEXICON:
        return full
    if "*" in token or "#" in token:
        parts = re.split(r"([*#]+)", token)
        tries: list[tuple[int, tuple[int, ...]]] = [(0, (len(token),))]
        # people do not count the letters they hide: "f****in" is "fuckin" with one star too
        # many, so a run of n marks may also stand for n - 1 or n + 1 letters; only with two
        # letters shown, or "a*" (a grade) would become "ass"
        if sum(c.isalpha() for c in token) >= 2:
            tries.append((1, (len(token) - 1, len(token) + 1)))
        for slack, sizes in tries:
            pattern = re.compile(_mask_regex(parts, slack))
            for size in sizes:
                for word in _MASK_CANDIDATES.get(size, ()):
                    if pattern.fullmatch(word):
                        return word
    # leetspeak only between letters, so "hello!", "@user", "2nd" and "mp3" are left alone
    return _INNER_LEET.sub(lambda m: m.group(0).translate(_LEET), token)


_INNER_LEET = re.compile(r"(?<=[a-z])[0-9@$!|+]+(?=[a-z])")
_MASK_CANDIDATES: dict[int, tuple[str, ...]] = {}
# obscene words first: "s***" is far more often "shit" than "scum"
for _w in sorted(PROFANITY_LEXICON, key=lambda w: (w not in OBSCENE_WORDS, w)):
    _MASK_CANDIDATES[len(_w)] = (*_MASK_CANDIDATES.get(len(_w), ()), _w)


_UNMASKED: dict[str, str] = {}


def _wordish(m: re.Match[str]) -> str:
    token = m.group(0)
    if "@" in token and m.string[m.end() : m.end() + 1] == ".":
        return token  # e-mail address
    hit = _UNMASKED.get(token)
    if hit is None:
        hit = _unmask(token)
        if len(_UNMASKED) > 50_000:
            _UNMASKED.clear()
        _UNMASKED[token] = hit
    return hit


def _repeat(m: re.Match[str]) -> str:
    if m.group(0) == "www" and m.string[m.end() : m.end() + 1] == ".":
        return "www"  # keep www. links intact
    return m.group(1) * 2


def _entity(m: re.Match[str]) -> str:
    s = m.group(0)
    if s.startswith("&#"):
        return chr(int(s[2:-1])) if int(s[2:-1]) < 0x110000 else " "
    return _ENTITIES[s]


# A necessary condition for a step to match, cheaper to scan for than the step's own pattern:
# each starts with a rarer character than its step's first one, so the regex engine skips ahead
# in C instead of trying most positions.
_SEPARATED_HINT = re.compile(r"[._\-*~][a-z][._\-*~]")  # "f.u.c.k" holds ".u."
# "ex[dot]com" holds the bracketed dot, "site dot com" a spaced "dot"
_OBF_DOT_HINT = re.compile(r"[\[\(\{<]\s*(?:dot|\.)\s*[\]\)\}>]|\sdot\s")
_OBF_AT_HINT = re.compile(r"[\[\(\{<]\s*at\s*[\]\)\}>]")
# the second of three single characters stands between two spaces
_SPACED_HINT = re.compile(r"\s[a-z0-9./:]\s[a-z0-9./:](?!\S)")
# "bit . ly": a dot between single spaces; "example. com/x": a dot, spaces, a word and a slash
# (the TLD alternation itself is left to the step: trying 79 TLDs at every full stop costs more)
_SPACED_DOT_HINT = re.compile(r"\.(?:(?<= \.) [a-z]|\s+[a-z]+/)")

_LEET_CHARS = re.compile(r"[0-9@$!*#|+]+")
_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _wordish_matches(s: str) -> Iterator[re.Match[str]]:
    """``_WORDISH.finditer(s)``, found faster.

    Every match is a run holding a leet character, which is rare in text, while the pattern
    itself has to be tried at every letter. So: find the next leet character, walk back over the
    letters before it to the start of its run, and let the pattern decide from there (``match``
    at a position still sees the text before it, for the lookbehind).
    """
    pos = 0
    while (hit := _LEET_CHARS.search(s, pos)) is not None:
        start = hit.start()
        # ``pos`` is 0 or the end of a run, so the run holding ``start`` begins after it
        before = s[pos:start]
        m = _WORDISH.match(s, start - (len(before) - len(before.rstrip(_LOWER))))
        if m is None:
            # a run without letters ("2019", "!!!"): no letters before ``start`` and none after
            # the leet characters, so the run ends where they do
            pos = hit.end()
        else:
            yield m
            pos = m.end()


@dataclass(frozen=True)
class _Step:
    """One rewrite of the text: ``pattern`` replaced by ``repl``.

    ``guard`` and ``hint`` skip the step cheaply on text it cannot match: it runs only when one
    of the guard substrings occurs (the ``in`` test is done in C) and the hint matches.
    ``finder``, when set, yields the same matches as ``pattern.finditer`` in less time.
    """

    pattern: re.Pattern[str]
    repl: _Repl | str
    guard: tuple[str, ...] = ()
    hint: re.Pattern[str] | None = None
    finder: Callable[[str], Iterator[re.Match[str]]] | None = None

    def applies(self, s: str) -> bool:
        if self.guard and not any(g in s for g in self.guard):
            return False
        return self.hint is None or self.hint.search(s) is not None

    def matches(self, s: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(s) if self.finder is None else self.finder(s)

    def sub(self, s: str) -> str:
        if self.finder is None:
            return self.pattern.sub(self.repl, s)
        out: list[str] = []
        pos = 0
        for m in self.finder(s):
            out.append(s[pos : m.start()])
            out.append(self.repl if isinstance(self.repl, str) else self.repl(m))
            pos = m.end()
        if not out:
            return s
        out.append(s[pos:])
        return "".join(out)


_STEPS: tuple[_Step, ...] = (
    _Step(_ENTITY, _entity, ("&",)),
    _Step(_HTML_LINK, _html_link, ("<a",)),
    _Step(_BBCODE_LINK, _bbcode_link, ("[url",)),
    _Step(_TAG, " ", ("<", "[")),
    _Step(_OBF_DOT, ".", ("dot", "[", "(", "{", "<"), _OBF_DOT_HINT),
    _Step(_OBF_AT, "@", ("[", "(", "{", "<"), _OBF_AT_HINT),
    _Step(_SPACED, _spaced, (), _SPACED_HINT),
    _Step(_SPACED_DOT, ".", (" . ", ". "), _SPACED_DOT_HINT),
    _Step(_SEPARATED, _separated, (".", "-", "_", "*", "~"), _SEPARATED_HINT),
    _Step(_WORDISH, _wordish, finder=_wordish_matches),
    _Step(_REPEAT, _repeat),
)


def normalize(text: str) -> str:
    """Return the normalised form of ``text`` that every model's features are computed on."""
    s = fold_chars(text)
    for step in _STEPS:
        if step.applies(s):
            s = step.sub(s)
    return " ".join(s.split())


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Like :func:`normalize`, plus for each output character its index in ``text``.

    A replaced stretch maps its characters proportionally onto the stretch it replaced, which is
    exact for the one-to-one replacements (leetspeak) and close enough for the others to
    highlight the right words.
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_chars(ch) if ch.isascii() else _FOLD[ord(ch)]
        chars.append(folded)
        origin.extend([i] * len(folded))
    s = "".join(chars)
    for step in (*_STEPS, _Step(_SPACE, " ")):
        if step.applies(s):
            s, origin = _sub_tracked(step, s, origin)
    # strip, keeping offsets aligned
    left = len(s) - len(s.lstrip())
    right = len(s.rstrip())
    return s[left:right], origin[left:right]


def _sub_tracked(step: _Step, s: str, origin: list[int]) -> tuple[str, list[int]]:
    repl = step.repl
    out: list[str] = []
    out_origin: list[int] = []
    pos = 0
    for m in step.matches(s):
        start, end = m.span()
        out.append(s[pos:start])
        out_origin.extend(origin[pos:start])
        new = repl if isinstance(repl, str) else repl(m)
        out.append(new)
        span = end - start
        if span == 0:
            anchor = origin[start] if start < len(origin) else (origin[-1] if origin else 0)
            out_origin.extend([anchor] * len(new))
        else:
            out_origin.extend(origin[start + (k * span) // len(new)] for k in range(len(new)))
        pos = end
    out.append(s[pos:])
    out_origin.extend(origin[pos:])
    return "".join(out), out_origin


# --- link and contact extraction ---------------------------------------------------------------

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'\]\[)]+|\b(?:[a-z0-9-]+\.)+(?:"
    + _TLDS
    + r")\b(?:/[^\s<>\"'\]\[)]*)?"
)
_EMAIL = re.compile(r"\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d\s().-]{7,}\d(?![\w.])")
_MARKUP = re.compile(r"<a\b[^>]*href|\[url[=\]]", re.IGNORECASE)
# What every match of _EMAIL and _PHONE holds, starting with a rarer character than they do (see
# the steps' hints above): an "@" and a dotted domain; a digit run with separators.
_EMAIL_HINT = re.compile(r"@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2}")
_PHONE_HINT = re.compile(r"\d[\d\s().-]{7,}\d")


# a sentence's punctuation after a link, not part of it
LINK_TRAILING_PUNCTUATION = ".,;:!?"


def _link(url: str) -> Link:
    url = url.rstrip(LINK_TRAILING_PUNCTUATION)
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).split("/", 1)[0].split(":", 1)[0]
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    return Link(
        url=url,
        domain=host,
        shortener=host in URL_SHORTENERS,
        suspicious_tld=tld in _SUSPICIOUS_TLDS,
    )


def extract_links(normalised: str) -> list[Link]:
    """Links in already normalised text (so obfuscated and markup links are found too)."""
    cleaned = _EMAIL.sub(" ", normalised) if _EMAIL_HINT.search(normalised) else normalised
    return [_link(m.group(0)) for m in _URL.finditer(cleaned)]


def extract_markup_links(text: str) -> int:
    """Number of HTML ``<a href>`` and BBCode ``[url]`` links in the raw text."""
    return len(_MARKUP.findall(text))


def extract_emails(normalised: str) -> list[str]:
    """E-mail addresses in normalised text (``name [at] example [dot] com`` included)."""
    if _EMAIL_HINT.search(normalised) is None:
        return []
    return _EMAIL.findall(normalised)


def extract_phones(text: str) -> list[str]:
    """Phone-number-like digit runs (8+ digits with the usual separators)."""
    if _PHONE_HINT.search(text) is None:
        return []
    return [p for p in _PHONE.findall(text) if sum(c.isdigit() for c in p) >= 8]

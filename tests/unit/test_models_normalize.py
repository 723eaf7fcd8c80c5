# ruff: noqa: RUF001
"""Normalisation cases on plain strings."""

from __future__ import annotations

import pytest

import models.normalize as normalize_module
from models.normalize import (
    extract_emails,
    extract_links,
    extract_markup_links,
    extract_phones,
    normalize,
    normalize_with_offsets,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ｆｕｃｋ", "fuck"),  # NFKC full-width
        ("zero\u200bwidth\u200d joiner", "zerowidth joiner"),  # zero-width characters
        ("bell\x07 and\x00 nul", "bell and nul"),  # control characters
        ("іdіot", "idiot"),  # Cyrillic look-alikes
        ("fück", "fuck"),  # accents
        ("f*ck you", "fuck you"),  # masked word
        ("F****in' nice", "fuckin' nice"),  # one mark too many
        ("what a f***k up", "what a fuck up"),
        ("s*** happens", "shit happens"),  # obscene reading first
        ("a***holes", "assholes"),  # inflected
        ("the *** is l**k", "the *** is l**k"),  # no lexicon word fits: left alone
        ("an a* grade", "an a* grade"),  # one letter shown: only an exact-length match
        ("sh!t and a$$", "shit and ass"),
        ("You are an id1ot and a m0ron", "you are an idiot and a moron"),  # leetspeak
        ("F U C K this", "fuck this"),  # spaced-out letters
        ("f.u.c.k off", "fuck off"),
        ("soooo goooood", "soo good"),  # repeated letters
        ("hello! @USER 2nd mp3 2019", "hello! @user 2nd mp3 2019"),  # no false leetspeak
        ("I am a gay man", "i am a gay man"),
    ],
)
def test_normalize_cases(raw: str, expected: str) -> None:
    # when
    out = normalize(raw)
    # then
    assert out == expected


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("visit b i t . l y / x now", "bit.ly/x"),
        ("go to example[dot]com", "example.com"),
        ("go to example (dot) com today", "example.com"),
        ('see <a href="http://spam.xyz/a">cheap</a>', "http://spam.xyz/a"),
        ("[url=http://x.tk]buy[/url]", "http://x.tk"),
        ("[url]http://y.top/z[/url]", "http://y.top/z"),
    ],
)
def test_obfuscated_and_markup_links_are_recovered(raw: str, url: str) -> None:
    links = extract_links(normalize(raw))
    assert [link.url for link in links] == [url]


def test_link_kinds() -> None:
    links = extract_links(normalize("http://bit.ly/a and www.cheap.xyz/b"))
    assert [(lk.domain, lk.shortener, lk.suspicious_tld) for lk in links] == [
        ("bit.ly", True, False),
        ("cheap.xyz", False, True),
    ]


def test_link_leaves_the_sentence_punctuation_out() -> None:
    links = extract_links(normalize("see http://example.com/a, or www.cheap.xyz/b. Then bit.ly/c!"))
    assert [lk.url for lk in links] == ["http://example.com/a", "www.cheap.xyz/b", "bit.ly/c"]
    assert [lk.domain for lk in links] == ["example.com", "cheap.xyz", "bit.ly"]


def test_markup_emails_phones() -> None:
    assert extract_markup_links('<a href="x">a</a> [url=y]b[/url]') == 2
    assert extract_emails(normalize("mail john [at] gmail [dot] com")) == ["john@gmail.com"]
    assert extract_phones("call +1 (555) 123-4567 now") == ["+1 (555) 123-4567"]


@pytest.mark.parametrize(
    "raw",
    [
        "You are an id1ot",
        "F U C K   this\u200b",
        "Ｆｕｃｋ you",
        "<b>hi</b> f*ck",
        "F****in' nice",
        "ok example[dot]com",
    ],
)
def test_offsets_match_the_fast_path_and_point_into_the_original(raw: str) -> None:
    # when
    out, origin = normalize_with_offsets(raw)
    # then
    assert out == normalize(raw)
    assert len(origin) == len(out)
    assert all(0 <= i < len(raw) for i in origin)
    assert origin == sorted(origin)


def test_offsets_of_a_leet_word() -> None:
    raw = "You are an id1ot!"
    out, origin = normalize_with_offsets(raw)
    start = out.index("idiot")
    assert raw[origin[start] : origin[start + 4] + 1] == "id1ot"


# Runs of letters and leet symbols in every arrangement the leet finder has to get right: at the
# start and end of the text, several in a row, runs without letters, e-mail addresses.
LEET_RUNS = [
    "",
    "2019",
    "!!!",
    "id1ot",
    "1d1ot",
    "idiot1",
    "hello! @user 2nd mp3 2019 a$$ sh!t",
    "@@@x x@@@ 12ab34 ab12cd 1 a 1a a1",
    "mail me@example.com now, #tag1 #2tag ##",
    "x!y!z!!w 9 99a a99 !a! a!b",
    "f*ck s***, a***holes|+x",
]


@pytest.mark.parametrize("text", LEET_RUNS)
def test_leet_finder_yields_the_patterns_own_matches(text: str) -> None:
    fast = [(m.span(), m.group(0)) for m in normalize_module._wordish_matches(text)]
    assert fast == [(m.span(), m.group(0)) for m in normalize_module._WORDISH.finditer(text)]


@pytest.mark.parametrize(
    "text",
    [
        "example [dot] com",
        "example(.)com",
        "visit site dot com now",
        "name [at] example",
        "f u c k",
        "b i t . l y / x",
        "x y z",
        "bit . ly/x",
        "example. com/x",
        "f.u.c.k",
        "s-h-i-t",
    ],
)
def test_every_step_match_is_also_a_hint_match(text: str) -> None:
    """A hint may only skip a step on text the step cannot change."""
    s = normalize_module.fold_chars(text)
    matched = [step for step in normalize_module._STEPS if step.pattern.search(s)]
    assert matched, "each case exercises a step"
    for step in matched:
        assert step.hint is None or step.hint.search(s), step.pattern.pattern

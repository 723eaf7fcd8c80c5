"""Rule checks on plain inputs: links, word lists, signals, near-duplicates."""

from __future__ import annotations

from typing import Any

import msgspec

from service.schemas import CommentIn, CommentRecord, SiteConfig, SitePublic, WordLists
from workers.checks.base import CheckContext, plain_text
from workers.checks.duplicates import NEAR_DISTANCE, hamming, simhash
from workers.checks.language import LanguageCheck, detect_language
from workers.checks.links import LinksCheck, find_links
from workers.checks.relevance import RelevanceCheck
from workers.checks.signals import SignalsCheck
from workers.checks.words import WordListCheck


def ctx(content: str, words: WordLists | None = None, **fields: Any) -> CheckContext:
    comment = msgspec.convert({"id": "1", "content": content, **fields}, CommentIn)
    site = SitePublic(
        id="s_1", name="t", url="https://t", callback_url="", webhook_secret="w",
        api_key_hash="h", created_at=0, config=SiteConfig(words=words or WordLists()),
    )  # fmt: skip
    return CheckContext(CommentRecord(id="r1", site_id="s_1", comment=comment, received_at=0), site)


def codes(findings: list[Any]) -> set[str]:
    return {f.code for f in findings}


def test_links_counts_shorteners_and_markup() -> None:
    text = 'Cheap <a href="http://x.biz">pills</a> at bit.ly/abc and www.shop.example.com'
    (found,) = LinksCheck().run([ctx(text, content_format="html")])
    assert codes(found) == {"LINK_COUNT", "LINK_SHORTENER", "MARKUP_LINK"}
    shortener = next(f for f in found if f.code == "LINK_SHORTENER")
    (start, end) = shortener.spans[0]
    assert text[start:end] == "bit.ly/abc"


def test_shorteners_of_any_tld_are_found_and_youtube_links_are_not_shorteners() -> None:
    text = "watch youtu.be/abc then rb.gy/x1 or tr.im/y2, and http://bl.ink/z3"
    (found,) = LinksCheck().run([ctx(text)])
    shortener = next(f for f in found if f.code == "LINK_SHORTENER")
    assert sorted(text[s:e] for s, e in shortener.spans) == [
        "http://bl.ink/z3",
        "rb.gy/x1",
        "tr.im/y2",
    ]
    assert "youtu.be" not in (shortener.detail or "")


def test_link_in_author_name() -> None:
    (found,) = LinksCheck().run([ctx("hello", author={"name": "best-loans.com"})])
    assert codes(found) == {"AUTHOR_NAME_LINK"}


def test_a_full_stop_or_comma_after_a_link_is_not_part_of_it() -> None:
    text = "See http://x.com/a, and www.b.org. Also example.com/p!"
    assert [text[s:e] for s, e, _ in find_links(text)] == [
        "http://x.com/a",
        "www.b.org",
        "example.com/p",
    ]


def test_plain_prose_has_no_links() -> None:
    assert find_links("I went to the shop. Then home, e.g. to rest.") == []


def test_words_match_whole_words_only() -> None:
    words = WordLists(block=["scunthorpe-free", "ass"], hold=["casino"])
    (found,) = WordListCheck().run([ctx("I live in Scunthorpe and my class passed", words)])
    assert found == []
    (found,) = WordListCheck().run([ctx("What an ASS. Visit the Casino!", words)])
    assert codes(found) == {"BLOCKED_WORD", "HOLD_WORD"}


def test_wildcards_and_allow_list() -> None:
    words = WordLists(block=["cock*"], allow=["cocktail", "cockpit"])
    (found,) = WordListCheck().run([ctx("A cocktail in the cockpit", words)])
    assert found == []
    (found,) = WordListCheck().run([ctx("cockroach everywhere", words)])
    assert codes(found) == {"BLOCKED_WORD"}
    assert found[0].spans == [(0, 9)]


def test_honeypot_and_fast_submit() -> None:
    (found,) = SignalsCheck().run(
        [ctx("hi", signals={"honeypot": "http://spam", "time_to_submit_ms": 600})]
    )
    assert codes(found) == {"HONEYPOT", "FAST_SUBMIT"}
    fast = next(f for f in found if f.code == "FAST_SUBMIT")
    assert fast.score == 0.8
    (slow,) = SignalsCheck().run([ctx("hi", signals={"time_to_submit_ms": 45_000})])
    assert slow == []


def test_simhash_is_close_for_near_duplicates_and_far_otherwise() -> None:
    a = "buy cheap watches online today best prices guaranteed fast shipping"
    b = "buy cheap watches online today best prices guaranteed free shipping"
    c = "the harbour looked lovely in the morning light after the storm"
    assert hamming(simhash(a), simhash(b)) <= NEAR_DISTANCE
    assert hamming(simhash(a), simhash(a)) == 0
    assert hamming(simhash(a), simhash(c)) > NEAR_DISTANCE


def test_plain_text_of_html_and_markdown() -> None:
    assert plain_text("<p>Hi &amp; <b>bye</b></p>", "html").split() == ["Hi", "&", "bye"]
    assert plain_text("see [here](http://x.io)", "markdown") == "see here http://x.io"


def test_language_is_detected_only_when_clear() -> None:
    assert detect_language("Thanks for the article, it is one of the best on the subject") == "en"
    assert detect_language("Das ist nicht der Artikel, den ich mit dir lesen wollte") == "de"
    assert detect_language("Очень интересная статья, спасибо автору за работу") == "ru"
    assert detect_language("ok") == ""
    assert detect_language("Harbour Harbour Harbour boats ferries") == ""


def test_language_mismatch_against_the_declared_language() -> None:
    russian = "Купить дешевые часы онлайн прямо сейчас, лучшие цены"
    (found,) = LanguageCheck().run([ctx(russian, post={"lang": "en-GB"})])
    assert codes(found) == {"LANGUAGE_MISMATCH"}
    (same,) = LanguageCheck().run([ctx(russian, post={"lang": "ru"})])
    assert same == []
    (undeclared,) = LanguageCheck().run([ctx(russian)])
    assert undeclared == []


def test_off_topic_needs_a_long_comment_and_a_topic() -> None:
    generic = (
        "Our company offers professional essay writing services for students worldwide, "
        "cheap prices, fast delivery, guaranteed satisfaction, contact our friendly support "
        "team today for discounts"
    )
    post = {"title": "Harbour works begin", "excerpt": "The council starts dredging the harbour"}
    (found,) = RelevanceCheck().run([ctx(generic, post=post)])
    assert codes(found) == {"OFF_TOPIC"}
    on_topic = generic + " and the harbour dredging"
    assert RelevanceCheck().run([ctx(on_topic, post=post)]) == [[]]
    assert RelevanceCheck().run([ctx("Great post!", post=post)]) == [[]]
    assert RelevanceCheck().run([ctx(generic)]) == [[]]

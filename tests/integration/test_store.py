"""Store operations that several processes race on, against a real Redis."""

from __future__ import annotations

import threading

import msgspec

from service.schemas import CommentIn, SiteConfig
from service.store import Store


def test_concurrent_site_changes_are_not_lost(store: Store) -> None:
    # given a site changed by two writers at once: one renames it, one rotates its key
    site, _ = store.create_site("racy", "https://r.example", "", SiteConfig())
    keys: list[str] = []

    def rename() -> None:
        for i in range(40):
            store.modify_site(site.id, lambda s, i=i: msgspec.structs.replace(s, name=f"n{i}"))

    def rotate() -> None:
        for _ in range(40):
            new = store.rotate_api_key(site.id)
            assert new is not None
            keys.append(new)

    threads = [threading.Thread(target=rename), threading.Thread(target=rotate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then both writers' last changes hold: the last name and only the last key
    final = store.get_site(site.id)
    assert final is not None
    assert final.name == "n39"
    found = store.site_for_api_key(keys[-1])
    assert found is not None
    assert found.id == site.id
    assert all(store.site_for_api_key(k) is None for k in keys[:-1])


def test_admission_charges_buckets_and_counts_repeats(store: Store) -> None:
    site, _ = store.create_site("admit", "https://a.example", "", SiteConfig())
    buckets = [("site", site.id, 1 / 60, 2.0)]
    first = store.accept_comment(site.id, CommentIn(id="1", content="a"), "r", buckets)
    repeat = store.accept_comment(site.id, CommentIn(id="1", content="a"), "r", buckets)
    limited = store.accept_comment(site.id, CommentIn(id="2", content="b"), "r", buckets)
    assert first.created
    assert not repeat.created
    assert repeat.record_id == first.record_id
    assert limited.rate_limited is not None
    assert limited.rate_limited.limited_by == "site"
    assert 55 <= limited.rate_limited.retry_after_seconds <= 60
    assert store.get_record(site.id, first.record_id) is not None


def test_a_session_in_use_still_ends_at_its_absolute_lifetime(store: Store) -> None:
    import time

    # given a session with a long idle timeout and a 2-second lifetime
    store.create_session("s-abs", "acct-1", ttl_seconds=3600, max_seconds=2)
    started = time.monotonic()
    # when it is used every few hundred milliseconds
    seen = []
    while time.monotonic() - started < 3.0:
        seen.append((time.monotonic() - started, store.session_account("s-abs", 3600)))
        time.sleep(0.25)
    # then it answers until its lifetime is up, and never again after, though never idle
    assert all(account == "acct-1" for t, account in seen if t < 0.9)
    assert all(account is None for t, account in seen if t > 2.1)
    assert store.r.exists(store.keys.session("s-abs")) == 0
    # and its idle timeout never outlives its deadline
    store.create_session("s-ttl", "acct-1", ttl_seconds=3600, max_seconds=60)
    assert store.session_account("s-ttl", 3600) == "acct-1"
    assert 0 < store.r.ttl(store.keys.session("s-ttl")) <= 60

"""A comment that crashes the pipeline is held on its own; its batch still gets verdicts."""

from __future__ import annotations

import secrets
from pathlib import Path

from service.schemas import CommentIn, CommentRecord, SiteConfig, SitePublic
from service.settings import settings_from_env
from service.store import Store
from service.tasks_client import TaskClient
from workers.pipeline import Pipeline, Scored
from workers.runtime import ModelProvider
from workers.scoring import score_items


class CrashesOnPoison(Pipeline):
    """The real pipeline, except that one text makes it raise (a bug we have not met yet)."""

    def score(self, pairs: list[tuple[CommentRecord, SitePublic]]) -> list[Scored]:
        if any("POISON" in record.comment.content for record, _ in pairs):
            raise RuntimeError("boom")
        return super().score(pairs)


def test_a_poison_comment_is_held_and_its_batch_is_scored(store: Store, tmp_path: Path) -> None:
    # given a batch with one comment that crashes the pipeline
    site, _ = store.create_site("poison", "https://p.example", "", SiteConfig())
    texts = ["A kind word about the harbour.", "POISON pill", "Nice photos of the boats."]
    for text in texts:
        store.accept_comment(site.id, CommentIn(id=secrets.token_hex(4), content=text), "rq")
    items = [i for i in store.claim_batch(1000) if i.site_id == site.id]
    settings = settings_from_env({}, redis_url="redis://unused", models_dir=tmp_path / "models")
    pipeline = CrashesOnPoison(store, ModelProvider(settings))
    # when the batch is scored
    stored = score_items(store, TaskClient("memory://"), pipeline, items)
    # then every comment has a verdict, and the poison one is held with the reason
    assert stored == 3
    records = [store.get_record(site.id, i.record_id) for i in items]
    by_text = {r.comment.content: r.verdict for r in records if r is not None and r.verdict}
    assert set(by_text) == set(texts)
    poison = by_text["POISON pill"]
    assert poison.decision == "hold"
    assert [f.code for f in poison.reasons] == ["CHECK_FAILED"]
    assert all(by_text[t].reasons != poison.reasons for t in texts if t != "POISON pill")

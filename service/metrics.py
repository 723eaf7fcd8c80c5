"""``/metrics`` in the Prometheus text format, right across many api processes and workers.

Counters and histogram buckets live in Redis (every process increments the same hashes, see the
``ops`` section of the store), so any api process renders the totals of all of them. Gauges are
read from Redis at scrape time: queue depths, the oldest waiting items, held items, heartbeats.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from service.store import LATENCY_BUCKETS, Store
from service.tasks_client import CELERY_QUEUES

__all__ = ["CONTENT_TYPE", "NAMESPACE", "OpsCollector", "render_metrics"]

NAMESPACE = "commentguard"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# stored counter name -> (help, label names)
_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "comments_total": (
        "Comments received by intake outcome: accepted, duplicate, invalid, rate_limited.",
        ("site", "outcome"),
    ),
    "verdicts_total": ("Automatic verdicts stored, by decision.", ("site", "decision")),
    "callback_attempts_total": (
        "Verdict callback attempts by outcome: delivered, retry, dead.",
        ("site", "outcome"),
    ),
    "dead_letters_total": ("Deliveries that went to the dead letters.", ("site",)),
    "redrives_total": ("Items re-driven by an operator, by kind.", ("kind",)),
}
_HISTOGRAMS = {
    "scoring_duration_seconds": "Time to score one batch of comments (all checks and policy).",
    "verdict_latency_seconds": "Time from accepting a comment to storing its verdict.",
}


class OpsCollector(Collector):
    """Yields every Commentguard metric from Redis at scrape time."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        yield from self._counters()
        yield from self._histograms()
        yield from self._gauges()

    def _counters(self) -> Iterator[Metric]:
        families = {
            name: CounterMetricFamily(f"{NAMESPACE}_{name}", text, labels=list(labels))
            for name, (text, labels) in _COUNTERS.items()
        }
        failures = CounterMetricFamily(
            f"{NAMESPACE}_callback_failures_total",
            "Callback attempts that did not deliver (retried or dead).",
            labels=["site"],
        )
        failed_by_site: dict[str, int] = {}
        for name, labels, value in self.store.counter_values():
            family = families.get(name)
            if family is None:
                continue
            family.add_metric([labels.get(k, "") for k in _COUNTERS[name][1]], value)
            if name == "callback_attempts_total" and labels.get("outcome") != "delivered":
                site = labels.get("site", "")
                failed_by_site[site] = failed_by_site.get(site, 0) + value
        for site, value in sorted(failed_by_site.items()):
            failures.add_metric([site], value)
        yield from families.values()
        yield failures

    def _histograms(self) -> Iterator[Metric]:
        stored = self.store.histogram_values()
        bounds = [*(repr(b) for b in LATENCY_BUCKETS), "+Inf"]
        for name, text in _HISTOGRAMS.items():
            family = HistogramMetricFamily(f"{NAMESPACE}_{name}", text)
            hist = stored.get(name)
            counts = hist.buckets if hist else [0] * len(bounds)
            cumulative, running = [], 0
            for bound, count in zip(bounds, counts, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            family.add_metric([], cumulative, hist.sum if hist else 0.0)
            yield family

    def _gauges(self) -> Iterator[Metric]:
        now = time.time()
        queues = self.store.queue_gauges(CELERY_QUEUES, now)
        depth = GaugeMetricFamily(
            f"{NAMESPACE}_queue_depth",
            "Items waiting per queue: score (comments to score) and the Celery queues.",
            labels=["queue"],
        )
        oldest = GaugeMetricFamily(
            f"{NAMESPACE}_queue_oldest_age_seconds",
            "Age of the oldest waiting item per queue (score: oldest comment without verdict).",
            labels=["queue"],
        )
        for name, value in queues.depth.items():
            depth.add_metric([name], value)
            oldest.add_metric([name], queues.oldest_age[name])
        yield depth
        yield oldest
        yield GaugeMetricFamily(
            f"{NAMESPACE}_pending_records",
            "Accepted comments without a verdict yet (queued or being scored).",
            value=queues.pending,
        )
        yield GaugeMetricFamily(
            f"{NAMESPACE}_pending_oldest_age_seconds",
            "Age of the oldest accepted comment still without a verdict.",
            value=queues.pending_oldest_age,
        )
        yield GaugeMetricFamily(
            f"{NAMESPACE}_dead_letters",
            "Deliveries in the dead letters now, waiting for an operator.",
            value=queues.dead_letters,
        )
        held = GaugeMetricFamily(
            f"{NAMESPACE}_review_queue_size", "Comments held for a moderator.", labels=["site"]
        )
        held_age = GaugeMetricFamily(
            f"{NAMESPACE}_review_oldest_age_seconds",
            "Age of the oldest comment held for a moderator.",
            labels=["site"],
        )
        for site, count, age in self.store.review_gauges(now):
            held.add_metric([site], count)
            held_age.add_metric([site], age)
        yield held
        yield held_age
        workers = self.store.live_workers()
        yield GaugeMetricFamily(
            f"{NAMESPACE}_workers_alive",
            "Worker processes with a fresh heartbeat.",
            value=len(workers),
        )
        up = GaugeMetricFamily(
            f"{NAMESPACE}_worker_up",
            "1 per live worker process, with the model version it scores with.",
            labels=["worker", "model_version"],
        )
        models = GaugeMetricFamily(
            f"{NAMESPACE}_model_version_info",
            "Model versions in use by live workers (value: how many processes use it).",
            labels=["model_version"],
        )
        versions: dict[str, int] = {}
        for beat in workers:
            up.add_metric([beat.id, beat.model_version], 1)
            if beat.model_version:
                versions[beat.model_version] = versions.get(beat.model_version, 0) + 1
        for version, count in sorted(versions.items()):
            models.add_metric([version], count)
        yield up
        yield models


def render_metrics(store: Store) -> bytes:
    """The text exposition of every metric, read from Redis now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OpsCollector(store))
    return generate_latest(registry)

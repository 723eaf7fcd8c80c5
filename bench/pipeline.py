"""Throughput of the backbone: intake over HTTP and comments scored per second end to end.

Starts its own Redis, api and worker (like the tests), then for each of several runs measures
  - baseline: GET /health requests/s with the same client concurrency (what HTTP alone costs),
  - intake: POST /v1/comments accepted/s (validate, rate limits, store, queue),
  - end to end: comments/s from the first POST until every verdict is stored,
and prints medians with ratios to the baseline measured in the same run.

    .venv/bin/python bench/pipeline.py [--runs 5] [--comments 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.embedded_redis import EmbeddedRedis
from service.store import Store
from tests.procs import service_env, start_api, start_worker, wait_until

SEED = (Path(__file__).resolve().parent.parent.parent / "shared" / "seeds").glob("*.txt")


def sample_texts() -> list[str]:
    """Comment-like lines from the seed blog post when present, else stock sentences."""
    lines: list[str] = []
    for path in SEED:
        lines += [
            ln.strip() for ln in path.read_text(errors="replace").splitlines() if len(ln) > 40
        ]
    return lines or [
        "Great write-up on the harbour works, thanks for the photos.",
        "Cheap loans approved in minutes, visit bit.ly/fast-cash-now",
        "I disagree with the council here, the old bridge was fine.",
    ]


def hammer(url: str, headers: dict[str, str], count: int, threads: int, make: Any) -> float:
    """Send ``count`` requests from ``threads`` keep-alive clients; returns requests per second.

    Plain threads with sync clients: httpx's async pool was the bottleneck, not the server.
    """
    counter = itertools.count()
    failures = 0

    def one() -> None:
        nonlocal failures
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            while (i := next(counter)) < count:
                if make(client, i).status_code >= 300:
                    failures += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(one) for _ in range(threads)]:
            future.result()
    elapsed = time.perf_counter() - started
    if failures:
        print(f"    ({failures} requests failed)")
    return count / elapsed


def run_once(
    url: str, key: str, store: Store, texts: list[str], args: argparse.Namespace
) -> tuple[float, float, float]:
    headers = {"Authorization": f"Bearer {key}"}
    baseline = hammer(url, headers, args.comments, args.concurrency, lambda c, _: c.get("/health"))
    tag = secrets.token_hex(4)
    started = time.perf_counter()
    intake = hammer(
        url,
        headers,
        args.comments,
        args.concurrency,
        lambda c, i: c.post(
            "/v1/comments",
            json={
                "id": f"{tag}-{i}",
                "content": texts[i % len(texts)],
                "author": {"name": f"reader{i % 50}"},
            },
        ),
    )
    wait_until(lambda: store.pending_count() == 0 and store.queue_length() == 0, 600, "verdicts")
    end_to_end = args.comments / (time.perf_counter() - started)
    return baseline, intake, end_to_end


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--worker-processes", type=int, default=2)
    args = parser.parse_args()
    texts = sample_texts()
    with tempfile.TemporaryDirectory(prefix="commentguard-bench-") as tmp:
        root = Path(tmp)
        print("starting redis, api and worker ...", flush=True)
        redis_server = EmbeddedRedis(root / "redis").start()
        env = service_env(
            redis_server.url,
            root,
            COMMENTGUARD_RATE_SITE_PER_MINUTE="100000000",
            COMMENTGUARD_RATE_IP_PER_MINUTE="100000000",
        )
        api, url = start_api(env, root / "logs")
        worker = start_worker(env, root / "logs", concurrency=args.worker_processes)
        store = Store.from_url(redis_server.url)
        try:
            site = httpx.post(
                f"{url}/v1/admin/sites",
                json={"name": "bench", "url": "https://bench.example"},
                headers={"Authorization": "Bearer test-admin-token"},
            ).json()
            results = []
            for run in range(1, args.runs + 1):
                figures = run_once(url, site["api_key"], store, texts, args)
                results.append(figures)
                print(
                    f"  run {run}/{args.runs}: health {figures[0]:8.0f}/s"
                    f"   intake {figures[1]:8.0f}/s   end to end {figures[2]:8.0f} comments/s",
                    flush=True,
                )
        finally:
            worker.stop()
            api.stop()
            redis_server.stop()
    base, intake, e2e = (statistics.median(r[i] for r in results) for i in range(3))
    print()
    print(
        f"median of {args.runs} runs, {args.comments} comments each, "
        f"{args.concurrency} client threads, 1 api process, "
        f"{args.worker_processes} worker processes:"
    )
    print(f"  baseline GET /health      {base:8.0f} req/s")
    print(f"  intake POST /v1/comments  {intake:8.0f} req/s   ({intake / base:.2f} x baseline)")
    print(f"  end to end (to verdict)   {e2e:8.0f} comments/s ({e2e / base:.2f} x baseline)")


if __name__ == "__main__":
    main()

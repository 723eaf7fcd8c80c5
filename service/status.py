"""``commentguard status``: the operators' numbers on one terminal screen."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import msgspec
import redis

from service import ops
from service.store import Store

__all__ = ["render_status", "run_status"]

_SPARK = "·▁▂▃▄▅▆▇█"


def _age(seconds: float) -> str:
    if seconds < 1:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _spark(values: list[int]) -> str:
    top = max(values, default=0)
    if not top:
        return "·" * len(values)
    return "".join(_SPARK[0] if v <= 0 else _SPARK[max(1, round(v / top * 8))] for v in values)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:g}s"


def render_status(
    snap: ops.OpsSnapshot,
    points: list[ops.MinutePoint],
    ready: ops.Readiness,
    latency: tuple[float | None, float | None] = (None, None),
) -> str:
    """One screen of text: health, queues, workers, held items, totals, the last hour."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.at))
    lines = [f"Commentguard status  {stamp}  {'READY' if ready.ok else 'NOT READY'}"]
    lines += [f"  {name:<8} {value}" for name, value in ready.checks.items()]
    lines.append("")
    lines.append(f"{'queue':<14}{'depth':>8}{'oldest':>10}")
    for name, queue in snap.queues.items():
        lines.append(f"{name:<14}{queue.depth:>8}{_age(queue.oldest_age_seconds):>10}")
    lines.append(f"{'pending':<14}{snap.pending:>8}{_age(snap.pending_oldest_age_seconds):>10}")
    lines.append(f"{'dead letters':<14}{snap.dead_letters:>8}")
    lines.append("")
    lines.append(f"workers alive: {len(snap.workers)}")
    for beat in snap.workers[:6]:
        lines.append(f"  {beat.id:<32} models {beat.model_version or 'not loaded'}")
    held = [r for r in snap.review if r.held]
    lines.append(f"held for review: {sum(r.held for r in held)}")
    for row in held[:6]:
        lines.append(f"  {row.site_id:<16}{row.held:>6}  oldest {_age(row.oldest_age_seconds)}")
    t = snap.totals
    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(t.verdicts.items())) or "none"
    lines.append("")
    lines.append(
        f"comments: accepted {t.accepted}, duplicate {t.duplicate}, invalid {t.invalid}, "
        f"rate limited {t.rate_limited}"
    )
    lines.append(f"verdicts: {verdicts}")
    lines.append(
        f"callbacks: delivered {t.callbacks_delivered}, failed attempts {t.callback_failures}, "
        f"dead letters {t.dead_letters}"
    )
    if points:
        lines.append("")
        lines.append("last hour (one column per minute)")
        lines.append(f"  accepted   {_spark([p.accepted for p in points])}")
        lines.append(f"  verdicts   {_spark([p.verdicts for p in points])}")
        lines.append(f"  depth      {_spark([p.depth for p in points])}")
        lines.append(f"  failures   {_spark([p.callback_failures for p in points])}")
        lines.append(
            f"  accept to verdict: p50 {_seconds(latency[0])}, p99 {_seconds(latency[1])} "
            "(bucket upper bounds)"
        )
    return "\n".join(lines)


def run_status(
    store: Store, watch: float = 0.0, as_json: bool = False, out: TextIO = sys.stdout
) -> int:
    """Print the status once, or every ``watch`` seconds until Ctrl-C.

    Exit code: 0 ready, 1 not ready, 2 Redis unreachable.
    """
    try:
        while True:
            code = _print_once(store, bool(watch), as_json, out)
            if not watch:
                return code
            time.sleep(watch)
    except KeyboardInterrupt:
        return 0


def _print_once(store: Store, clear: bool, as_json: bool, out: TextIO) -> int:
    try:
        snap = ops.snapshot(store)
        ready = ops.readiness(store)
        points = ops.series(store, 60)
        latency = ops.latency_percentiles(store, 60)
    except redis.RedisError as exc:
        print(
            f"error: Redis is unreachable ({exc}); is `commentguard up` running?", file=sys.stderr
        )
        return 2
    if as_json:
        body = {"ready": ready, "status": snap, "last_hour": points}
        out.write(msgspec.json.encode(body).decode() + "\n")
    else:
        if clear:
            out.write("\x1b[H\x1b[2J")  # home + clear, so each refresh redraws one screen
        out.write(render_status(snap, points, ready, latency) + "\n")
    out.flush()
    return 0 if ready.ok else 1

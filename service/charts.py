"""Small line charts drawn on the server as SVG, so the ops page needs no chart library or CDN."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["Line", "line_chart"]

_W, _H = 520, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 10, 26, 22


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    values: Sequence[float | None]
    """One value per minute; None leaves a gap (nothing measured that minute)."""


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def _label(value: float, unit: str) -> str:
    if value == 0:
        return "0"
    if unit == "s":
        return f"{value * 1000:.0f}ms" if value < 1 else f"{value:g}s"
    return f"{value:g}"


def line_chart(title: str, times: Sequence[float], lines: Sequence[Line], unit: str = "") -> str:
    """An SVG document: one polyline per series over the given minutes, with a legend."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    seen = [v for line in lines for v in line.values if v is not None]
    top = _nice_max(max(seen, default=0.0))
    count = max(1, len(times) - 1)

    def x(i: int) -> float:
        return _LEFT + plot_w * i / count

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - min(v, top) / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}" role="img" aria-label="{escape(title)}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect width="{_W}" height="{_H}" fill="#fff"/>',
        f'<text x="{_LEFT}" y="15" font-size="13" font-weight="600" fill="#1c2330">'
        f"{escape(title)}</text>",
    ]
    for fraction in (0, 0.5, 1):
        gy = _TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#e4e7ec"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 4}" y="{gy + 4:.1f}" text-anchor="end" fill="#667085">'
            f"{escape(_label(top * fraction, unit))}</text>"
        )
    if times:
        for index, anchor in ((0, "start"), (len(times) // 2, "middle"), (len(times) - 1, "end")):
            stamp = time.strftime("%H:%M", time.localtime(times[index]))
            parts.append(
                f'<text x="{x(index):.1f}" y="{_H - 6}" text-anchor="{anchor}" fill="#667085">'
                f"{stamp}</text>"
            )
    legend_x = _W - _RIGHT
    for line in reversed(lines):
        legend_x -= 12 + round(6.2 * len(line.label)) + 14
        parts.append(
            f'<rect x="{legend_x}" y="7" width="10" height="10" fill="{line.color}"/>'
            f'<text x="{legend_x + 14}" y="16" fill="#1c2330">{escape(line.label)}</text>'
        )
    for line in lines:
        segments: list[list[str]] = [[]]
        for index, value in enumerate(line.values):
            if value is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(index):.1f},{y(value):.1f}")
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{line.color}"/>')
            elif points:
                parts.append(
                    f'<polyline fill="none" stroke="{line.color}" stroke-width="1.8" '
                    f'points="{" ".join(points)}"/>'
                )
    parts.append("</svg>")
    return "".join(parts)

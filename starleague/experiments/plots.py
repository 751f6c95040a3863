"""Learning-curve plots as self-contained SVG (no plotting dependency; GitHub renders SVG inline).

`line_chart` draws named series (x, y) with optional horizontal reference lines (e.g. the
paper's scores) and axis ticks; `moving_average` smooths episode returns for display.
"""

from __future__ import annotations

import html
import math
from typing import Sequence

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT = 880, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 320, 40, 55


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over up to `window` values (shorter at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw), default=raw)
    start = math.ceil(low / step) * step
    ticks = []
    value = start
    while value <= high + 1e-9 * step:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def line_chart(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], title: str, x_label: str,
               y_label: str, reference_lines: Sequence[tuple[str, float]] = ()) -> str:
    """An SVG document: one polyline per (label, xs, ys), dashed horizontal lines per (label, y)."""
    xs = [x for _, sx, _ in series for x in sx] or [0.0, 1.0]
    ys = [y for _, _, sy in series for y in sy] + [y for _, y in reference_lines] or [0.0, 1.0]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys + [0.0]), max(ys)
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    if y_hi <= y_lo:
        y_hi = y_lo + 1.0
    y_hi += (y_hi - y_lo) * 0.05
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return TOP + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h

    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{e(title)}</text>',
             f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>']
    for t in _nice_ticks(x_lo, x_hi):
        parts.append(f'<line x1="{px(t):.1f}" y1="{TOP + plot_h}" x2="{px(t):.1f}" y2="{TOP + plot_h + 5}" stroke="#444"/>'
                     f'<text x="{px(t):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{_fmt(t)}</text>')
    for t in _nice_ticks(y_lo, y_hi):
        parts.append(f'<line x1="{LEFT - 5}" y1="{py(t):.1f}" x2="{LEFT + plot_w}" y2="{py(t):.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 8}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">{e(x_label)}</text>')
    parts.append(f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {TOP + plot_h / 2})">{e(y_label)}</text>')
    legend_y = TOP + 10
    for i, (label, y) in enumerate(reference_lines):
        color = "#888"
        parts.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{LEFT + plot_w}" y2="{py(y):.1f}" stroke="{color}" '
                     f'stroke-dasharray="{4 + 2 * i},4"/>')
        parts.append(f'<line x1="{WIDTH - RIGHT + 10}" y1="{legend_y}" x2="{WIDTH - RIGHT + 30}" y2="{legend_y}" '
                     f'stroke="{color}" stroke-dasharray="{4 + 2 * i},4"/>'
                     f'<text x="{WIDTH - RIGHT + 35}" y="{legend_y + 4}">{e(label)} ({_fmt(y)})</text>')
        legend_y += 18
    for i, (label, sx, sy) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        if sx:
            points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(sx, sy))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.6"/>')
        parts.append(f'<line x1="{WIDTH - RIGHT + 10}" y1="{legend_y}" x2="{WIDTH - RIGHT + 30}" y2="{legend_y}" '
                     f'stroke="{color}" stroke-width="2"/><text x="{WIDTH - RIGHT + 35}" y="{legend_y + 4}">{e(label)}</text>')
        legend_y += 18
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

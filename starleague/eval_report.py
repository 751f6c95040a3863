"""Self-contained HTML report of an evaluation: tables and inline SVG plots.

No scripts, fonts or images from elsewhere: the file opens offline and can be attached
to an issue or a mail. Input is the JSON that `starleague eval` writes (see
starleague/evaluate.py: `{"snapshots": [{"label", "version", "opponents": [...],
"elo": {...}}], ...}`).
"""

from __future__ import annotations

import html
import os
from typing import Any, Sequence

_WIDTH, _HEIGHT, _PAD = 560, 260, 44
_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


def _axes(title: str, y_label: str, x_labels: Sequence[str], y_min: float, y_max: float) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" role="img">',
        f'<title>{html.escape(title)}</title>',
        f'<text x="{_WIDTH / 2}" y="16" text-anchor="middle" font-size="13">{html.escape(title)}</text>',
        f'<line x1="{_PAD}" y1="{_HEIGHT - _PAD}" x2="{_WIDTH - 10}" y2="{_HEIGHT - _PAD}" stroke="#333"/>',
        f'<line x1="{_PAD}" y1="24" x2="{_PAD}" y2="{_HEIGHT - _PAD}" stroke="#333"/>',
        f'<text x="12" y="{_HEIGHT / 2}" font-size="11" transform="rotate(-90 12 {_HEIGHT / 2})"'
        f' text-anchor="middle">{html.escape(y_label)}</text>',
    ]
    for i in range(5):
        value = y_min + (y_max - y_min) * i / 4
        y = _y(value, y_min, y_max)
        parts.append(f'<line x1="{_PAD - 4}" y1="{y:.1f}" x2="{_WIDTH - 10}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{_PAD - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value:.4g}</text>')
    for i, label in enumerate(x_labels):
        x = _x(i, len(x_labels))
        parts.append(
            f'<text x="{x:.1f}" y="{_HEIGHT - _PAD + 16}" font-size="10" text-anchor="middle">{html.escape(label)}</text>'
        )
    return parts


def _x(i: int, n: int) -> float:
    span = _WIDTH - 10 - _PAD - 30
    return _PAD + 15 + (span * i / (n - 1) if n > 1 else span / 2)


def _y(value: float, y_min: float, y_max: float) -> float:
    top, bottom = 28, _HEIGHT - _PAD
    if y_max == y_min:
        return (top + bottom) / 2
    return bottom - (value - y_min) / (y_max - y_min) * (bottom - top)


def win_rate_by_opponent_svg(opponents: Sequence[dict[str, Any]]) -> str:
    """Win rate against each opponent with its 95% Wilson interval."""
    labels = [o["opponent"] for o in opponents]
    parts = _axes("Win rate vs each opponent (95% Wilson interval)", "win rate", labels, 0.0, 1.0)
    for i, o in enumerate(opponents):
        x = _x(i, len(opponents))
        y_low, y_high, y = _y(o["ci_low"], 0, 1), _y(o["ci_high"], 0, 1), _y(o["win_rate"], 0, 1)
        parts.append(f'<line x1="{x:.1f}" y1="{y_low:.1f}" x2="{x:.1f}" y2="{y_high:.1f}" stroke="#555"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{_COLOURS[0]}" class="point"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def curve_svg(title: str, y_label: str, x_labels: Sequence[str], series: dict[str, Sequence[float]],
              y_range: tuple[float, float] | None = None) -> str:
    """Lines over training versions, one per series (e.g. one per bot level)."""
    values = [v for line in series.values() for v in line if v is not None]
    y_min, y_max = y_range if y_range else (min(values, default=0.0), max(values, default=1.0))
    parts = _axes(title, y_label, x_labels, y_min, y_max)
    for k, (name, line) in enumerate(series.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        points = [(_x(i, len(x_labels)), _y(v, y_min, y_max)) for i, v in enumerate(line) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" class="point"/>')
        parts.append(
            f'<text x="{_WIDTH - 14}" y="{32 + 13 * k}" font-size="11" text-anchor="end" fill="{colour}">'
            f"{html.escape(name)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _table(snapshot: dict[str, Any]) -> str:
    rows = [
        "<table><tr><th>opponent</th><th>W</th><th>D</th><th>L</th><th>win rate</th>"
        "<th>95% CI</th><th>mean game loops</th></tr>"
    ]
    for o in snapshot["opponents"]:
        rows.append(
            f"<tr><td>{html.escape(o['opponent'])}</td><td>{o['wins']}</td><td>{o['draws']}</td>"
            f"<td>{o['losses']}</td><td>{o['win_rate']:.3f}</td>"
            f"<td>[{o['ci_low']:.3f}, {o['ci_high']:.3f}]</td><td>{o['mean_game_loops']:.0f}</td></tr>"
        )
    rows.append("</table>")
    elo = snapshot.get("elo")
    if elo:
        rows.append(f"<p>Elo estimate (anchored on the bot ladder): <b>{elo['rating']:.0f} ± {elo['stderr']:.0f}</b></p>")
    return "\n".join(rows)


def render_report(results: dict[str, Any]) -> str:
    snapshots = results["snapshots"]
    body = [f"<h1>starleague evaluation</h1><p>{html.escape(results.get('summary', ''))}</p>"]
    if len(snapshots) > 1:
        labels = [s["label"] for s in snapshots]
        opponents = sorted({o["opponent"] for s in snapshots for o in s["opponents"]})
        series = {
            name: [next((o["win_rate"] for o in s["opponents"] if o["opponent"] == name), None) for s in snapshots]
            for name in opponents
        }
        body.append(curve_svg("Win rate over training versions", "win rate", labels, series, (0.0, 1.0)))
        ratings = [s["elo"]["rating"] if s.get("elo") else None for s in snapshots]
        body.append(curve_svg("Elo over training versions", "Elo", labels, {"Elo": ratings}))
    for snapshot in snapshots:
        body.append(f"<h2>{html.escape(snapshot['label'])}</h2>")
        body.append(win_rate_by_opponent_svg(snapshot["opponents"]))
        body.append(_table(snapshot))
    style = (
        "body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child{text-align:left}svg{display:block;margin:1em 0}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>starleague evaluation</title>"
        f"<style>{style}</style></head><body>" + "\n".join(body) + "</body></html>"
    )


def write_report(results: dict[str, Any], path: str) -> str:
    """Write the HTML report atomically; returns its path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(render_report(results))
    os.replace(tmp, path)
    return path

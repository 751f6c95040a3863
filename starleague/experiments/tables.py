"""Markdown tables of the experiments, laid out like the papers they compare with."""

from __future__ import annotations

from typing import Any, Sequence

from starleague.experiments.references import (
    AGENTS, CORRECTION_LABELS, CROSS_CHECKED, PYSC2_TABLE1, REPLAY_SECTIONS, best_learned, format_score,
)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def minigame_table(games: Sequence[str], results: dict[str, dict[str, Any]]) -> str:
    """pysc2 Table 1 layout (agents x mini-games, 'mean (max)'), our rows first.

    `results[game]` holds "eval" and optionally "untrained", "greedy" and "scripted" Score dicts
    (mean, stderr, max, episodes).
    """
    lines = [_row(["Agent"] + list(games)), _row(["---"] + ["---:"] * len(games))]

    def ours(key: str) -> list[str]:
        cells = []
        for game in games:
            score = (results.get(game) or {}).get(key)
            cells.append("not run" if not score else
                         f"**{score['mean']:.1f}** ± {score['stderr']:.1f} ("
                         + (f"max {score['max']:g}, " if score.get("max") is not None else "") + f"n={score['episodes']})")
        return cells

    lines.append(_row(["starleague tiny, trained (embedded engine)"] + ours("eval")))
    if any((results.get(game) or {}).get("greedy") for game in games):
        lines.append(_row(["starleague tiny, trained, greedy (embedded engine)"] + ours("greedy")))
    lines.append(_row(["starleague tiny, untrained (embedded engine)"] + ours("untrained")))
    if any((results.get(game) or {}).get("scripted") for game in games):
        lines.append(_row(["scripted greedy, raw commands (embedded engine)"] + ours("scripted")))
    for agent in AGENTS:
        cells = []
        for game in games:
            mean, best = PYSC2_TABLE1[agent][game]
            mark = "†" if (agent, game) in CROSS_CHECKED else ""
            cells.append(f"{format_score(mean)} ({format_score(best)}){mark}")
        lines.append(_row([f"paper: {agent}"] + cells))
    return "\n".join(lines) + "\n"


def minigame_goals(games: Sequence[str], results: dict[str, dict[str, Any]]) -> str:
    """Per game: trained mean vs the paper's random policy and best A3C agent, training budget used.

    The verdicts read the sampled policy's mean (the policy as it trains); a greedy evaluation,
    where measured, is shown beside it."""
    lines = [_row(["Mini-game", "trained mean", "greedy mean", "paper random", "paper best agent",
                   "above random?", "at/above best agent?", "training", "frames"]),
             _row(["---", "---:", "---:", "---:", "---:", "---", "---", "---:", "---:"])]
    for game in games:
        r = results.get(game) or {}
        score = r.get("eval")
        random_mean = PYSC2_TABLE1["Random policy"][game][0]
        best = best_learned(game)
        if not score:
            lines.append(_row([game, "not run", "-", format_score(random_mean), format_score(best), "-", "-", "-",
                               "-"]))
            continue
        greedy = r.get("greedy")
        lines.append(_row([game, f"{score['mean']:.1f}", f"{greedy['mean']:.1f}" if greedy else "-",
                           format_score(random_mean), format_score(best),
                           "yes" if score["mean"] > random_mean else "no",
                           "yes" if score["mean"] >= best else "no",
                           f"{r.get('train_seconds', 0) / 60:.0f} min", f"{r.get('frames', 0):,}"]))
    return "\n".join(lines) + "\n"


def ablation_table(tasks: Sequence[str], cells: dict[tuple[str, str], dict[str, tuple[float, float, int]]]) -> str:
    """IMPALA replay-table layout: sections (without / with replay) x corrections, one column per task.

    `cells[(section, correction)][task] = (mean, stderr, seeds_done)`.
    """
    lines = [_row(["", "Correction"] + list(tasks)), _row(["---", "---"] + ["---:"] * len(tasks))]
    for section, _ in REPLAY_SECTIONS:
        for i, (correction, label) in enumerate(CORRECTION_LABELS.items()):
            row = [f"**{section}**" if i == 0 else "", label]
            for task in tasks:
                value = cells.get((section, correction), {}).get(task)
                if value is None:
                    row.append("not run")
                else:
                    mean, stderr, n = value
                    row.append(f"{mean:.2f} ± {stderr:.2f}" + (f" ({n} seed{'s' if n != 1 else ''})" if n else ""))
            lines.append(_row(row))
    return "\n".join(lines) + "\n"


def win_rate_table(rows: Sequence[dict[str, Any]], bots: Sequence[str]) -> str:
    """One row per evaluated snapshot: wall time, frames, and win rate [95% CI] per bot level
    (and per level played greedily, when any row was also evaluated so)."""
    greedy = any(row.get("greedy") for row in rows)
    columns = [f"vs {b}" for b in bots] + ([f"vs {b} (greedy)" for b in bots] if greedy else [])
    lines = [_row(["minutes", "frames (main)", "learner steps", "snapshot"] + columns),
             _row(["---:", "---:", "---:", "---"] + ["---:"] * len(columns))]
    for row in rows:
        cells = [f"{row['seconds'] / 60:.1f}", f"{row['frames']:,}", str(row["steps"]), row["label"]]
        cells += [win_rate_cell(row["bots"].get(bot)) for bot in bots]
        if greedy:
            cells += [win_rate_cell((row.get("greedy") or {}).get(bot)) for bot in bots]
        lines.append(_row(cells))
    return "\n".join(lines) + "\n"


def policy_win_rate_table(rows: Sequence[dict[str, Any]], bots: Sequence[str]) -> str:
    """One row per policy (label, training steps): win rate [95% CI] per bot level."""
    lines = [_row(["policy", "training steps"] + [f"vs {b}" for b in bots]),
             _row(["---", "---:"] + ["---:"] * len(bots))]
    for row in rows:
        lines.append(_row([row["label"], str(row["steps"])] + [win_rate_cell(row["bots"].get(bot)) for bot in bots]))
    return "\n".join(lines) + "\n"


def win_rate_cell(result: dict[str, Any] | None) -> str:
    """'90% [70%, 97%] of 20' from one evaluation's win rate and its interval; '-' when not played."""
    if result is None:
        return "-"
    return f"{result['win_rate']:.0%} [{result['ci_low']:.0%}, {result['ci_high']:.0%}] of {result['games']}"

"""Embedded engine speed: agent steps per second (step_mul 8) against the goals, and memory.

    .venv/bin/python -m bench.engine_speed            # writes bench/results/engine_speed.{json,md}
    .venv/bin/python -m bench.engine_speed --quick    # shorter runs, no files
    .venv/bin/python -m bench.engine_speed --compare REV   # also: this tree vs git REV, side by side

--compare REV checks REV out in a git worktree and runs the same engine-only cases in child
processes against both trees, alternating (old, new, old, new), best of the rounds per case:
the full game's recorded command log replayed (game.step + commands + 2 observations per agent
step, so both trees play the identical game without the bots), a 160-unit fight built from the
start position, and the three mini-games with their scripted agents (env.step only).

Rows (one process, one thread; CPU seconds from time.process_time, so other processes on a
busy machine slow the wall clock but not these numbers; wall clock is reported too):
- full_game_bots: Simple64 bot-vs-bot (Harder vs Harder) through to the end or the loop limit;
  an agent step = step_mul game loops + both bots observing and acting.
- full_game_engine: the same game's engine share: game.step + one Observation per player
  (what an actor pays per agent step when its policy costs nothing); bot decisions excluded.
- late_game_fight: from the largest position of that game (or a 150+ unit position built on it),
  both armies attack-move into each other; engine step + 2 observations per agent step.
- minigame_<name>: the mini-game with its scripted agent through EmbeddedEnv.step.
Goals (issue 4): 2,000 agent steps/s on a full 1v1 game, 10,000 on a mini-game, one core.
The profile of the late-game row (top functions by own time) is stored with the results.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shlex
import sys
import time
import tracemalloc

import numpy as np

from sc2env.engine import kernel as K
from sc2env.engine import state as S
from sc2env.engine.environment import EmbeddedEnv
from sc2env.types import BotPlayer, Difficulty, Race, RawCommand

GOAL_FULL = 2000.0
GOAL_MINI = 10000.0
STEP_MUL = 8
ARMY = ("Marine", "Marauder", "Reaper", "Hellion", "SiegeTank", "WidowMine")


class Clock:
    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0

    def __enter__(self):
        self._c, self._w = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cpu += time.process_time() - self._c
        self.wall += time.perf_counter() - self._w


def full_game(seed: int, loop_limit: int, difficulty: Difficulty):
    players = [BotPlayer(Race.Terran, difficulty), BotPlayer(Race.Terran, difficulty)]
    env = EmbeddedEnv("Simple64", players, STEP_MUL, seed, game_loop_limit=loop_limit)
    env.reset()
    game = env.game
    game.record = True  # its command log (bots' commands included) is what --compare replays
    engine, obs_clock, bots = Clock(), Clock(), Clock()
    steps = 0
    peak_units, peak_game = 0, None
    while not env._done:
        for player, bot in env.bots.items():
            with obs_clock:
                obs = game.observe(player)
            with bots:
                cmds = bot.act(obs, game.game_info(player))
            with engine:
                game.apply_commands(player, cmds)
        with engine:
            game.step(STEP_MUL)
        steps += 1
        if game.is_over():
            env._done = True
        units = int((game.state.it[S.ALIVE] == 1).sum())
        mobile = int(((game.state.it[S.ALIVE] == 1) & (game.tf[K.T_SPEED, game.state.it[S.TYPE]] > 0)).sum())
        if mobile > peak_units:
            peak_units, peak_game = mobile, copy.deepcopy(game)
    total_cpu = engine.cpu + obs_clock.cpu + bots.cpu
    total_wall = engine.wall + obs_clock.wall + bots.wall
    return {
        "steps": steps, "game_loops": game.game_loop, "result": {p: r.name for p, r in game.results.items()},
        "peak_mobile_units": peak_units, "final_units": units,
        "bots_cpu_s": round(bots.cpu, 3), "engine_cpu_s": round(engine.cpu, 3), "observe_cpu_s": round(obs_clock.cpu, 3),
        "steps_per_cpu_s_with_bots": steps / total_cpu, "steps_per_wall_s_with_bots": steps / total_wall,
        "steps_per_cpu_s_engine": steps / (engine.cpu + obs_clock.cpu),
        "engine_step_us": 1e6 * engine.cpu / steps, "observe_us_per_player": 1e6 * obs_clock.cpu / steps / 2,
    }, peak_game, list(game.log)


def grow_to(game, n_mobile: int) -> None:
    """Add Marines/Marauders/Hellions at each side's base until n_mobile mobile units (a late-game army)."""
    kinds = [48, 51, 53, 33]
    k = 0
    while int(((game.state.it[S.ALIVE] == 1) & (game.tf[K.T_SPEED, game.state.it[S.TYPE]] > 0)).sum()) < n_mobile:
        for p, (sx, sy) in ((1, (22.0, 30.0)), (2, (42.0, 34.0))):
            x = sx + (k % 8) * 1.3 * (1 if p == 1 else -1)
            y = sy + (k // 8 % 8) * 1.3 * (1 if p == 1 else -1)
            if game.state.pathable[int(y), int(x)]:
                game.add_unit(kinds[k % 4], p, x, y)
        k += 1


def late_game_fight(game, steps: int, profile: bool):
    game = copy.deepcopy(game)
    game.results = {}  # keep fighting: no victory check or loop limit during the measurement
    game.melee = False
    game.game_loop_limit = 0
    for p in (1, 2):
        enemy = game.map.start_locations[2 - p]
        army = [game.tag(i) for i in game.state.units_of(p) if game.types.names[game.state.it[S.TYPE, i]] in ARMY]
        if army:
            game.command(p, RawCommand(23, tuple(army), target_point=enemy))
    game.step(8)
    units_start = int((game.state.it[S.ALIVE] == 1).sum())
    prof = cProfile.Profile(time.process_time) if profile else None  # CPU time: the machine is shared
    clock = Clock()
    done = 0
    with clock:
        if prof:
            prof.enable()
        for _ in range(steps):
            if game.is_over():
                break
            game.step(STEP_MUL)
            game.observe(1)
            game.observe(2)
            done += 1
        if prof:
            prof.disable()
    text = ""
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        text = "\n".join(line for line in buf.getvalue().splitlines() if line.strip())
    return {"steps": done, "units_at_start": units_start, "units_at_end": int((game.state.it[S.ALIVE] == 1).sum()),
            "steps_per_cpu_s": done / clock.cpu, "steps_per_wall_s": done / clock.wall}, text


def minigame(name: str, episodes: int):
    from sc2env.engine.minigames.agents import ScriptedAgent

    agent_clock, env_clock = Clock(), Clock()
    steps = 0
    for seed in range(episodes):
        env = EmbeddedEnv(name, [], STEP_MUL, seed)
        agent = ScriptedAgent(name)
        ts = env.reset()
        while not ts[0].last():
            with agent_clock:
                action = agent.act(ts[0].observation, env.game_info)
            with env_clock:
                ts = env.step([action])
            steps += 1
    return {"steps": steps, "steps_per_cpu_s": steps / env_clock.cpu, "steps_per_wall_s": steps / env_clock.wall,
            "steps_per_cpu_s_with_agent": steps / (env_clock.cpu + agent_clock.cpu)}


def memory_of_one_game(seed: int, loop_limit: int) -> dict:
    tracemalloc.start()
    env = EmbeddedEnv("Simple64", [BotPlayer(Race.Terran, Difficulty.Harder)] * 2, STEP_MUL, seed,
                      game_loop_limit=loop_limit)
    env.reset()
    while not env._done:
        env.step([])
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"tracemalloc_peak_mib": peak / 2**20, "process_max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# ------------------------------------------------------------------ --compare REV
def _replay_log(log: list, seed: int, loop_limit: int) -> dict:
    """Replay a Game command/step log (observing both players before each step); engine CPU per agent step."""
    from sc2env.engine.commands import command_from_dict
    from sc2env.engine.game import Game

    game = Game.melee_game("Simple64", seed=seed, game_loop_limit=loop_limit)
    game.record = False
    clock = Clock()
    steps = 0
    with clock:
        game.observe(1), game.observe(2)
        for entry in log:
            if entry[0] == "c":
                game.command(int(entry[1]), command_from_dict(entry[2]))
            else:
                game.step(int(entry[1]))
                steps += 1
                if game.is_over():
                    break
                game.observe(1), game.observe(2)
    return {"steps": steps, "steps_per_cpu_s": steps / clock.cpu, "final_hash": game.state_hash()}


def _fight_from_start(seed: int, steps: int) -> dict:
    from sc2env.engine.game import Game

    game = Game.melee_game("Simple64", seed=seed, game_loop_limit=0)
    grow_to(game, 160)
    result, _ = late_game_fight(game, steps, profile=False)
    return result


def child_measure(log_path: str, seed: int, loop_limit: int, episodes: int) -> dict:
    with open(log_path) as f:
        log = json.load(f)
    # Untimed first: load every kernel from numba's cache (a fresh process pays 10-100 ms per kernel).
    _replay_log(log[: len(log) // 2], seed, loop_limit)
    _fight_from_start(seed, 5)
    for name in ("MoveToBeacon", "DefeatRoaches", "CollectMineralShards"):
        minigame(name, 1)
    rows = {"full_game_replayed_engine": _replay_log(log, seed, loop_limit), "fight_160": _fight_from_start(seed, 150)}
    for name in ("MoveToBeacon", "DefeatRoaches", "CollectMineralShards"):
        rows[f"minigame_{name}"] = minigame(name, episodes)
    return rows


def compare(rev: str, log: list, seed: int, loop_limit: int, rounds: int, episodes: int) -> dict:
    """Run child_measure in child processes against git REV (a worktree) and this tree, alternating."""
    import subprocess
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sha = subprocess.run(["git", "-C", root, "rev-parse", rev], capture_output=True, text=True, check=True).stdout.strip()
    tree = os.path.join(tempfile.gettempdir(), f"starleague-engine-{sha[:12]}")
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", root, "worktree", "add", "--detach", tree, sha], check=True, capture_output=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(log, f)
    best: dict = {"old": {}, "new": {}}
    try:
        for _ in range(rounds):
            for label, path in (("old", tree), ("new", root)):
                env = dict(os.environ, PYTHONPATH=path, NUMBA_NUM_THREADS="1")
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", f.name, "--seed", str(seed),
                                      "--loop-limit", str(loop_limit), "--episodes", str(episodes)],
                                     env=env, cwd=path, capture_output=True, text=True)
                if out.returncode:
                    raise RuntimeError(f"child for {label} failed:\n{out.stderr[-3000:]}")
                for case, row in json.loads(out.stdout.splitlines()[-1]).items():
                    if case not in best[label] or row["steps_per_cpu_s"] > best[label][case]["steps_per_cpu_s"]:
                        best[label][case] = row
    finally:
        os.unlink(f.name)
    old_hash = best["old"]["full_game_replayed_engine"]["final_hash"]
    new_hash = best["new"]["full_game_replayed_engine"]["final_hash"]
    return {"rev": rev, "sha": sha, "rounds": rounds, "old": best["old"], "new": best["new"],
            "same_final_state_hash": old_hash == new_hash}


def compare_lines(cmp: dict) -> list[str]:
    lines = [f"| case (engine only) | {cmp['sha'][:10]} steps/s (CPU) | this tree steps/s (CPU) | new / old |",
             "|---|---|---|---|"]
    for case, old in cmp["old"].items():
        new = cmp["new"][case]
        lines.append(f"| {case} | {old['steps_per_cpu_s']:,.0f} | {new['steps_per_cpu_s']:,.0f} | "
                     f"{new['steps_per_cpu_s'] / old['steps_per_cpu_s']:.2f} |")
    return lines


def warm_up() -> EmbeddedEnv:
    """Compile (or load from numba's disk cache) every kernel the timed runs call, before timing: a
    first call costs 10-100 ms, which inside a 1,000-step game would read as ~50 us per step."""
    warm = EmbeddedEnv("Simple64", [BotPlayer(Race.Terran, Difficulty.Harder)] * 2, STEP_MUL, 0,
                       game_loop_limit=4000)
    warm.reset()
    warm.run_bots_until_end()  # builds, trains, gathers, group orders
    fight = copy.deepcopy(warm.game)
    grow_to(fight, 60)
    late_game_fight(fight, 5, profile=False)  # combat, deaths
    for name in ("MoveToBeacon", "DefeatRoaches", "CollectMineralShards"):
        minigame(name, 1)
    return warm


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, print only")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "engine_speed"))
    parser.add_argument("--compare", metavar="REV", help="also measure git REV's engine (worktree), side by side")
    parser.add_argument("--rounds", type=int, default=2, help="--compare: alternating rounds, best of them")
    parser.add_argument("--child", metavar="LOG", help=argparse.SUPPRESS)
    parser.add_argument("--loop-limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--episodes", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_measure(args.child, args.seed, args.loop_limit, args.episodes), default=float))
        return 0
    loop_limit = 6000 if args.quick else 22400 * 2
    warm = warm_up()

    rows = {}
    full, peak_game, game_log = full_game(args.seed, loop_limit, Difficulty.Harder)
    rows["full_game_bots"] = full
    if peak_game is None:
        peak_game = warm.game
    grow_to(peak_game, 160)
    fight, profile_text = late_game_fight(peak_game, 60 if args.quick else 250, profile=False)
    rows["late_game_fight"] = fight
    _, profile_text = late_game_fight(peak_game, 60, profile=True)
    for name in ("MoveToBeacon", "DefeatRoaches", "CollectMineralShards"):
        rows[f"minigame_{name}"] = minigame(name, 1 if args.quick else 3)
    memory = memory_of_one_game(args.seed, 6000 if args.quick else 22400)
    cmp = None
    if args.compare:
        cmp = compare(args.compare, game_log, args.seed, loop_limit, args.rounds, 1 if args.quick else 2)

    summary = [
        ("full 1v1 game, bots included", full["steps_per_cpu_s_with_bots"], GOAL_FULL),
        ("full 1v1 game, engine + 2 observations", full["steps_per_cpu_s_engine"], GOAL_FULL),
        (f"late-game fight ({fight['units_at_start']} units), engine + 2 obs", fight["steps_per_cpu_s"], GOAL_FULL),
    ] + [(f"mini-game {n[9:]}, env.step", r["steps_per_cpu_s"], GOAL_MINI) for n, r in rows.items()
         if n.startswith("minigame_")]
    lines = ["| case | agent steps/s (CPU) | goal | ratio |", "|---|---|---|---|"]
    for label, value, goal in summary:
        lines.append(f"| {label} | {value:,.0f} | {goal:,.0f} | {value / goal:.2f} |")
    print("\n".join(lines))
    print(f"full game: {full['steps']} steps, {full['game_loops']} loops, result {full['result']}, peak mobile units "
          f"{full['peak_mobile_units']}; per step: engine {full['engine_step_us']:.0f} us, "
          f"observation {full['observe_us_per_player']:.0f} us/player, bots {1e6 * full['bots_cpu_s'] / full['steps']:.0f} us")
    print(f"memory of one game: tracemalloc peak {memory['tracemalloc_peak_mib']:.1f} MiB, "
          f"process max RSS {memory['process_max_rss_mib']:.0f} MiB")
    cmp_md = []
    if cmp:
        cmp_md = [f"## Before / after: git {cmp['rev']} ({cmp['sha'][:10]}) vs this tree\n",
                  f"Same run, child processes alternating old/new, best of {cmp['rounds']} rounds per case; the "
                  f"replayed full game ends in the same state hash on both: {cmp['same_final_state_hash']}.\n",
                  *compare_lines(cmp), ""]
        print("\n".join(cmp_md))
    if args.quick:
        return 0
    load = os.getloadavg()
    machine = {"platform": platform.platform(), "python": sys.version.split()[0], "cpu_count": os.cpu_count(),
               "load_average_1m_at_end": load[0], "numpy": np.__version__}
    command = "python -m bench." + os.path.basename(__file__)[:-3] + " " + shlex.join(argv or sys.argv[1:])
    result = {"command": command.strip(), "machine": machine, "goals": {"full_game": GOAL_FULL, "minigame": GOAL_MINI},
              "rows": rows, "memory": memory, "late_game_profile": profile_text, "compare": cmp}
    with open(args.out + ".json", "w") as f:
        json.dump(result, f, indent=1, default=float)
    md = [f"# Embedded engine speed\n", f"Command: `{result['command']}`  ",
          f"Machine: {machine['platform']}, {machine['cpu_count']} cores shared with other jobs "
          f"(1-minute load average {load[0]:.1f} at the end); one process, one thread. "
          "Steps/s are per CPU second of this process (time.process_time).\n", *lines, "",
          f"Full game: {full['steps']} agent steps, {full['game_loops']} game loops, result {full['result']}, "
          f"peak {full['peak_mobile_units']} mobile units. Per agent step: engine {full['engine_step_us']:.0f} us, "
          f"observation {full['observe_us_per_player']:.0f} us per player, bots "
          f"{1e6 * full['bots_cpu_s'] / full['steps']:.0f} us (sc2env.bots, not the engine).  ",
          f"Memory of one game: tracemalloc peak {memory['tracemalloc_peak_mib']:.1f} MiB, process max RSS "
          f"{memory['process_max_rss_mib']:.0f} MiB.\n", *cmp_md, "## Late-game profile (top functions by own time)\n",
          "```", profile_text, "```"]
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"wrote {args.out}.json / .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

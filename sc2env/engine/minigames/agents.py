"""A random agent and a simple scripted agent for each mini-game (reference scores).

    .venv/bin/python -m sc2env.engine.minigames.agents --episodes 3

Both read only the Observation and send RawCommands with the real AbilityIds
(pysc2 RAW_FUNCTIONS: Move 3794, Attack 3674, Harvest_Gather 3666, Train_SCV 524,
Train_Marine 560, Build_SupplyDepot 319, Build_Barracks 321, Build_Refinery 320,
Build_CommandCenter 318).
"""

from __future__ import annotations

import argparse
from typing import Callable

import numpy as np

from sc2env.types import Alliance, GameInfo, Observation, RawCommand

MOVE, ATTACK, GATHER = 3794, 3674, 3666
TRAIN_SCV, TRAIN_MARINE = 524, 560
BUILD_CC, BUILD_DEPOT, BUILD_REFINERY, BUILD_BARRACKS = 318, 319, 320, 321
MARINE, SCV, CC, DEPOT, BARRACKS, REFINERY = 48, 45, 18, 19, 21, 20
ZERGLING, BANELING, ROACH, BEACON, SHARD = 105, 9, 110, 317, 1680
MINERAL_TYPES = (341, 483)
GEYSER = 342


def _own(obs: Observation, unit_type: int) -> np.ndarray:
    u = obs.own_units()
    return u[u["unit_type"] == unit_type]


def _of(units: np.ndarray, unit_type) -> np.ndarray:
    return units[np.isin(units["unit_type"], np.atleast_1d(unit_type))]


def _nearest(units: np.ndarray, x: float, y: float) -> int:
    return int(np.argmin((units["x"] - x) ** 2 + (units["y"] - y) ** 2))


class RandomAgent:
    """Each step: with probability 1/2, one random own unit moves or attack-moves to a random point."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Observation, game_info: GameInfo) -> list[RawCommand]:
        own = obs.own_units()
        if len(own) == 0 or self.rng.random() < 0.5:
            return []
        u = own[int(self.rng.integers(len(own)))]
        w, h = game_info.map_size
        point = (float(self.rng.uniform(0, w)), float(self.rng.uniform(0, h)))
        return [RawCommand(MOVE if self.rng.random() < 0.5 else ATTACK, (int(u["tag"]),), target_point=point)]


def move_to_beacon(obs: Observation, info: GameInfo, memory: dict) -> list[RawCommand]:
    marines, beacons = _own(obs, MARINE), _of(obs.neutral_units(), BEACON)
    if len(marines) == 0 or len(beacons) == 0:
        return []
    b = beacons[0]
    m = marines[0]
    if m["order_count"] and abs(m["order_target_x"][0] - b["x"]) + abs(m["order_target_y"][0] - b["y"]) < 0.5:
        return []
    return [RawCommand(MOVE, (int(m["tag"]),), target_point=(float(b["x"]), float(b["y"])))]


def collect_mineral_shards(obs: Observation, info: GameInfo, memory: dict) -> list[RawCommand]:
    """Each marine heads for the nearest shard the other marine is not heading for."""
    marines, shards = _own(obs, MARINE), _of(obs.neutral_units(), SHARD)
    cmds, taken = [], set()
    for m in marines:
        if len(shards) == 0:
            break
        free = np.array([i for i in range(len(shards)) if i not in taken]) if len(taken) < len(shards) else np.arange(len(shards))
        k = int(free[_nearest(shards[free], m["x"], m["y"])])
        taken.add(k)
        s = shards[k]
        if not (m["order_count"] and abs(m["order_target_x"][0] - s["x"]) + abs(m["order_target_y"][0] - s["y"]) < 0.5):
            cmds.append(RawCommand(MOVE, (int(m["tag"]),), target_point=(float(s["x"]), float(s["y"]))))
    return cmds


def focus_fire(obs: Observation, info: GameInfo, memory: dict, priority=(BANELING, ROACH, ZERGLING)) -> list[RawCommand]:
    """All marines shoot one target: the highest-priority enemy type, lowest health first;
    with nothing in sight they sweep the map (FindAndDefeatZerglings)."""
    marines = _own(obs, MARINE)
    enemies = obs.enemy_units()
    if len(marines) == 0:
        return []
    tags = tuple(int(t) for t in marines["tag"])
    if len(enemies) == 0:
        waypoints = memory.setdefault("waypoints", [(12, 12), (52, 12), (52, 52), (12, 52), (32, 32)])
        k = memory.get("wp", 0)
        cx, cy = float(marines["x"].mean()), float(marines["y"].mean())
        if np.hypot(cx - waypoints[k][0], cy - waypoints[k][1]) < 4:
            k = memory["wp"] = (k + 1) % len(waypoints)
        return [RawCommand(ATTACK, tags, target_point=waypoints[k])]
    cx, cy = float(marines["x"].mean()), float(marines["y"].mean())
    rank = np.array([priority.index(t) if t in priority else len(priority) for t in enemies["unit_type"]])
    dist = np.hypot(enemies["x"] - cx, enemies["y"] - cy)
    target = enemies[np.lexsort((enemies["health"], dist > 9.0, rank))[0]]
    if memory.get("target") == int(target["tag"]):
        return []
    memory["target"] = int(target["tag"])
    return [RawCommand(ATTACK, tags, target_unit_tag=int(target["tag"]))]


def _economy(obs: Observation, info: GameInfo, memory: dict, marines: bool) -> list[RawCommand]:
    """Mine with every SCV, keep training SCVs; for marines: depots, barracks, marines;
    for minerals and gas: refineries with 3 SCVs each and a second Command Center."""
    own = obs.own_units()
    neutral = obs.neutral_units()
    scvs, ccs = _of(own, SCV), _of(own, CC)
    fields, geysers = _of(neutral, MINERAL_TYPES), _of(neutral, GEYSER)
    minerals = obs.player.minerals
    food_left = obs.player.food_cap - obs.player.food_used
    cmds: list[RawCommand] = []
    if len(ccs) == 0 or len(scvs) == 0:
        return cmds
    home = ccs[0]
    busy = set(memory.setdefault("busy", set()))
    builders = scvs[np.isin(scvs["order_ability_id"][:, 0], [BUILD_CC, BUILD_DEPOT, BUILD_REFINERY, BUILD_BARRACKS])]
    gas = memory.setdefault("gas", set()) & set(int(t) for t in scvs["tag"])
    memory["gas"] = gas
    miners = scvs[~np.isin(scvs["tag"], list(gas | set(int(t) for t in builders["tag"])))]

    def build(ability: int, cost: int, point=None, unit=None) -> bool:
        nonlocal minerals
        if minerals < cost or len(miners) == 0:
            return False
        w = miners[_nearest(miners, *(point if point else (home["x"], home["y"])))]
        cmds.append(RawCommand(ability, (int(w["tag"]),), target_point=point, target_unit_tag=unit))
        minerals -= cost
        return True

    workers_wanted = 16 if marines else 16 * len(ccs) + 6 * len(_of(own, REFINERY))
    for cc in ccs[ccs["build_progress"] >= 1]:
        if cc["order_count"] == 0 and len(scvs) < workers_wanted and minerals >= 50 and food_left > 0:
            cmds.append(RawCommand(TRAIN_SCV, (int(cc["tag"]),)))
            minerals -= 50
    if marines:
        depots, rax = _of(own, DEPOT), _of(own, BARRACKS)
        building = len(builders)
        slot = memory.setdefault("slot", 0)
        spots = [(home["x"] + 6 + 3.5 * (k % 3), home["y"] - 6 + 4.0 * (k // 3)) for k in range(12)]
        if food_left <= 4 and building == 0 and obs.player.food_cap < 200 and slot < len(spots):
            x, y = spots[slot]
            if build(BUILD_DEPOT, 100, point=(float(round(x)), float(round(y)))):
                memory["slot"] = slot + 1
        elif len(depots) and len(rax) < 4 and building == 0 and slot < len(spots):
            x, y = spots[slot]
            if build(BUILD_BARRACKS, 150, point=(float(np.floor(x)) + 0.5, float(np.floor(y)) + 0.5)):
                memory["slot"] = slot + 1
        for b in rax[(rax["build_progress"] >= 1) & (rax["order_count"] == 0)]:
            if minerals >= 50 and food_left > 0:
                cmds.append(RawCommand(TRAIN_MARINE, (int(b["tag"]),)))
                minerals -= 50
                food_left -= 1
    else:
        refineries = _of(own, REFINERY)
        if len(refineries) + len(builders) < len(geysers) and len(scvs) >= 14:
            free = geysers[[not (np.hypot(refineries["x"] - g["x"], refineries["y"] - g["y"]) < 1).any() for g in geysers]]
            targeted = set(int(t) for t in builders["order_target_tag"][:, 0])
            free = free[~np.isin(free["tag"], list(targeted))]
            if len(free):
                g = free[_nearest(free, home["x"], home["y"])]
                build(BUILD_REFINERY, 75, unit=int(g["tag"]))
        for r in refineries[refineries["build_progress"] >= 1]:
            crew = memory.setdefault(("crew", int(r["tag"])), set()) & set(int(t) for t in scvs["tag"])
            while len(crew) < 3 and len(miners):
                w = miners[_nearest(miners, r["x"], r["y"])]
                miners = miners[miners["tag"] != w["tag"]]
                crew.add(int(w["tag"]))
                gas.add(int(w["tag"]))
                cmds.append(RawCommand(GATHER, (int(w["tag"]),), target_unit_tag=int(r["tag"])))
            memory[("crew", int(r["tag"]))] = crew
        if len(ccs) == 1 and len(builders) == 0 and minerals >= 400:
            far = fields[np.hypot(fields["x"] - home["x"], fields["y"] - home["y"]) > 15]
            if len(far):
                build(BUILD_CC, 400, point=memory.get("expansion", (46.5, 32.5)))
    # Idle SCVs mine at the nearest Command Center's fields.
    for w in scvs[scvs["order_count"] == 0]:
        if len(fields) == 0 or int(w["tag"]) in gas:
            continue
        done = ccs[ccs["build_progress"] >= 1]
        c = done[_nearest(done, w["x"], w["y"])]
        near = fields[np.hypot(fields["x"] - c["x"], fields["y"] - c["y"]) < 12]
        near = near if len(near) else fields
        f = near[int(w["tag"]) % len(near)]
        cmds.append(RawCommand(GATHER, (int(w["tag"]),), target_unit_tag=int(f["tag"])))
    return cmds


SCRIPTED: dict[str, Callable] = {
    "MoveToBeacon": move_to_beacon,
    "CollectMineralShards": collect_mineral_shards,
    "FindAndDefeatZerglings": focus_fire,
    "DefeatRoaches": focus_fire,
    "DefeatZerglingsAndBanelings": focus_fire,
    "CollectMineralsAndGas": lambda obs, info, memory: _economy(obs, info, memory, marines=False),
    "BuildMarines": lambda obs, info, memory: _economy(obs, info, memory, marines=True),
}


class ScriptedAgent:
    """The simple scripted policy of one mini-game."""

    def __init__(self, map_name: str) -> None:
        self.policy = SCRIPTED[map_name]
        self.memory: dict = {}

    def act(self, obs: Observation, game_info: GameInfo) -> list[RawCommand]:
        return self.policy(obs, game_info, self.memory)


def run_episode(map_name: str, agent, seed: int, step_mul: int = 8) -> float:
    from sc2env.env import make_env
    from sc2env.types import AgentPlayer

    env = make_env(backend="embedded", map=map_name, players=[AgentPlayer()], step_mul=step_mul, seed=seed)
    try:
        ts = env.reset()[0]
        total = 0.0
        while not ts.last():
            ts = env.step([agent.act(ts.observation, env.game_info)])[0]
            total += ts.reward
        return total
    finally:
        env.close()


def main() -> None:
    from sc2env.engine.minigames import MINI_GAMES

    parser = argparse.ArgumentParser(description="random vs scripted agent scores on the mini-games")
    parser.add_argument("--episodes", type=int, default=3)
    args = parser.parse_args()
    print(f"| mini-game | random agent | scripted agent |  ({args.episodes} episodes, mean score)")
    print("|---|---|---|")
    for game in MINI_GAMES:
        rnd = np.mean([run_episode(game.name, RandomAgent(s), seed=s) for s in range(args.episodes)])
        scr = np.mean([run_episode(game.name, ScriptedAgent(game.name), seed=s) for s in range(args.episodes)])
        print(f"| {game.name} | {rnd:.1f} | {scr:.1f} |", flush=True)


if __name__ == "__main__":
    main()

"""Army control: gather, defend, attack in waves, and micro (priority, focus fire, retreat, stim, siege)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sc2env.bots import ids
from sc2env.bots.ids import Ability, Unit
from sc2env.bots.view import _ROLE, _STRUCTURE, _WORKER, ATTACK_ACQUIRED, BotView, isin, pick, xy
from sc2env.types import RawCommand

if TYPE_CHECKING:
    from sc2env.bots.terran import TerranBot

# Weapon ranges (game_data.pb weapons[].range; sieged tank 13 from Liquipedia).
RANGE = {
    Unit.Marine: 5.0, Unit.Marauder: 6.0, Unit.Reaper: 5.0, Unit.Hellion: 5.0,
    Unit.SiegeTank: 7.0, Unit.SiegeTankSieged: 13.0,
}
STIM_LOOPS = 246  # Stimpack lasts 11 real seconds (Liquipedia) = 246 game loops at Faster
STIMMABLE = (Unit.Marine, Unit.Marauder)
DEFAULT_VALUE = 45 * 9.8
_RANGE = np.full(4096, 5.0)  # RANGE by unit type id, 5 where it has none
_RANGE[[int(t) for t in RANGE]] = list(RANGE.values())
_ATTACK, _MOVE = int(Ability.Attack), int(Ability.Move)
_SIEGE_TANK, _SIEGE_TANK_SIEGED = int(Unit.SiegeTank), int(Unit.SiegeTankSieged)
_STIMPACK = int(ids.Upgrade.Stimpack)
_STIM_ABILITIES = frozenset(int(a) for a in (Ability.EffectStimMarine, Ability.EffectStimMarauder, Ability.EffectStim))
_SIEGE_ABILITIES = frozenset(int(a) for a in (Ability.MorphSiegeMode, Ability.MorphUnsiege))
_any = np.logical_or.reduce  # arr.any() without its Python wrapper


def _value(units: np.ndarray) -> float:
    """Lanchester-square fighting strength: (sum of sqrt(hp x dps))^2, scaled by health left."""
    if len(units) == 0:
        return 0.0
    base = np.array([ids.FIGHT_VALUE.get(int(t), DEFAULT_VALUE) for t in units["unit_type"]])
    frac = np.where(units["health_max"] > 0, (units["health"] + units["shield"]) / np.maximum(
        units["health_max"] + units["shield_max"], 1.0), 1.0)
    return float(np.sqrt(base * frac).sum() ** 2)


_POINT_KEYS: dict[tuple, tuple] = {}


class Orders:
    """Collects per-unit orders and groups identical ones into one RawCommand each."""

    def __init__(self) -> None:
        self.groups: dict[tuple, list[int]] = {}
        self.given: set[int] = set()

    @staticmethod
    def key(ability: int, point=None, unit=None) -> tuple:
        if unit is None and point is not None:
            # The same few points (rally, home, attack target) come back every step.
            cached = (int(ability), point[0], point[1])
            key = _POINT_KEYS.get(cached)
            if key is None:
                if len(_POINT_KEYS) > 1024:
                    _POINT_KEYS.clear()
                key = _POINT_KEYS[cached] = (int(ability), (round(float(point[0]), 1), round(float(point[1]), 1)), None)
            return key
        return (int(ability), None if point is None else (round(float(point[0]), 1), round(float(point[1]), 1)),
                None if unit is None else int(unit))

    def give(self, tag: int, ability: int, point=None, unit=None) -> None:
        self.give_key(tag, self.key(ability, point, unit))

    def give_key(self, tag: int, key: tuple) -> None:
        """give() with its key made by Orders.key (the same order for many units)."""
        if tag in self.given:
            return
        self.given.add(tag)
        self.groups.setdefault(key, []).append(int(tag))

    def commands(self) -> list[RawCommand]:
        return [
            RawCommand(ability, tuple(tags), target_point=point, target_unit_tag=unit)
            for (ability, point, unit), tags in self.groups.items()
        ]


def _has_order_all(units: np.ndarray, ability: int, point=None, unit=None, tol: float = 3.0) -> np.ndarray:
    """Per unit: is it already doing this (so we do not re-issue and reset it)? `unit` is one
    target tag or one per unit. (The arithmetic keeps the operand types of a one-unit check,
    so both give the same answers: float32 positions against the point as given.)"""
    current = units["order_ability_id"][:, 0]
    same = current == int(ability)
    if ability == _ATTACK:
        same |= current == ATTACK_ACQUIRED
    if ability == _MOVE:
        same |= current == 16
    same &= units["order_count"] > 0
    if unit is not None:
        return same & (units["order_target_tag"][:, 0] == unit)
    if point is not None:
        return same & (np.abs(units["order_target_x"][:, 0] - point[0]) + np.abs(units["order_target_y"][:, 0] - point[1]) < tol)
    return same


def _targets(p, v: BotView, army: np.ndarray, reach: np.ndarray, dist: np.ndarray, in_sight: np.ndarray):
    """Per army unit, the enemy it should shoot among those in range: fighting units first, then
    workers, then structures; the nearest (target priority) or the one with the least health
    left (focus fire); ties to the first listed. Returns (target tags, has a target)."""
    enemy = v.enemy
    if len(enemy) == 0:
        return np.zeros(len(army), army["tag"].dtype), np.zeros(len(army), bool)
    role = _ROLE.take(enemy["unit_type"], mode="clip").astype(np.int64)
    best = np.empty(len(army), np.int64)
    has = np.empty(len(army), np.bool_)
    _pick_targets(np.ascontiguousarray(dist), np.ascontiguousarray(in_sight), reach.astype(np.float32),
                  np.ascontiguousarray(army["radius"]), np.ascontiguousarray(enemy["radius"]), role,
                  _STRUCTURE, _WORKER, np.ascontiguousarray(enemy["health"] + enemy["shield"]), bool(p.focus_fire),
                  best, has)
    return enemy["tag"][best], has


@njit(cache=True)
def _pick_targets(dist, in_sight, reach, radius, enemy_radius, role, structure_bit, worker_bit, health, focus_fire,
                  best, has):  # pragma: no cover - compiled
    """_targets per army unit i: the candidates are the enemies j in sight with dist <= range +
    both radii + 0.3 (summed in float32, as the unit table holds them); among those of the best
    class (fighting unit 0, worker 1, structure 2) the first with the least health (float32) or
    distance; best[i] = 0 when there is none (has[i] False)."""
    slack = np.float32(0.3)
    for i in range(dist.shape[0]):
        best_rank = 3
        for j in range(dist.shape[1]):
            if in_sight[i, j] and dist[i, j] <= ((reach[i] + enemy_radius[j]) + radius[i]) + slack:
                rank = 2 if role[j] & structure_bit else (1 if role[j] & worker_bit else 0)
                best_rank = min(best_rank, rank)
        has[i] = best_rank < 3
        pick, low = 0, np.inf
        if best_rank < 3:
            for j in range(dist.shape[1]):
                if in_sight[i, j] and dist[i, j] <= ((reach[i] + enemy_radius[j]) + radius[i]) + slack:
                    rank = 2 if role[j] & structure_bit else (1 if role[j] & worker_bit else 0)
                    if rank == best_rank:
                        value = health[j] if focus_fire else dist[i, j]
                        if value < low:
                            pick, low = j, value
        best[i] = pick


# Compile _pick_targets (or load it from numba's cache) on import, not in a game's first fight.
_pick_targets(np.zeros((0, 0)), np.zeros((0, 0), np.bool_), np.zeros(0, np.float32), np.zeros(0, np.float32),
              np.zeros(0, np.float32), np.zeros(0, np.int64), 16, 32, np.zeros(0, np.float32), False,
              np.zeros(0, np.int64), np.zeros(0, np.bool_))


def update_memory(bot: "TerranBot", v: BotView) -> None:
    """Remember enemy structures; forget them when their spot is visible and they are gone."""
    structures = v.enemy_structures
    seen = set()
    if len(structures):
        for tag, x, y in zip(structures["tag"].tolist(), structures["x"].tolist(), structures["y"].tolist()):
            seen.add(tag)
            bot.enemy_structures[tag] = (x, y)
    if bot.enemy_structures:
        vis = v.obs.map.visibility
        for tag, (x, y) in list(bot.enemy_structures.items()):
            if tag in seen:
                continue
            yi, xi = int(min(max(y, 0), vis.shape[0] - 1)), int(min(max(x, 0), vis.shape[1] - 1))
            if vis[yi, xi] == 2:
                del bot.enemy_structures[tag]
    if len(v.army) and not bot.visited_enemy_start:
        d = np.hypot(v.army["x"] - bot.enemy_start[0], v.army["y"] - bot.enemy_start[1])
        bot.visited_enemy_start = bool((d < 6.0).any())


def attack_target(bot: "TerranBot", centre) -> tuple[float, float]:
    if bot.enemy_structures:
        pts = np.array(list(bot.enemy_structures.values()))
        return tuple(pts[int(np.argmin(np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])))])
    if not bot.visited_enemy_start:
        return bot.enemy_start
    # Search: a seeded random pathable point, kept until an army unit reaches it.
    if bot.search_point is None or np.hypot(centre[0] - bot.search_point[0], centre[1] - bot.search_point[1]) < 5:
        ys, xs = np.nonzero(bot.pathable)
        k = int(bot.rng.integers(len(xs)))
        bot.search_point = (float(xs[k]) + 0.5, float(ys[k]) + 0.5)
    return bot.search_point


def _pull_workers(bot: "TerranBot", v: BotView, orders: "Orders", goal) -> None:
    """Outgunned at home: the SCVs nearest the attackers fight too (as players do)."""
    attackers = pick(v.enemy_units, np.hypot(v.enemy_units["x"] - goal[0], v.enemy_units["y"] - goal[1]) < 10.0)
    defenders = pick(v.army, np.hypot(v.army["x"] - goal[0], v.army["y"] - goal[1]) < 14.0)
    if _value(attackers) <= _value(defenders):
        return
    busy = bot.busy | set().union(*bot.gas_workers.values()) if bot.gas_workers else bot.busy
    scvs = pick(v.workers, ~np.isin(v.workers["tag"], list(busy)))
    if len(scvs) == 0:
        return
    # Against a worker rush every SCV fights (8 of 12 lose to 12); against an army, 8 at most.
    worker_rush = bool(isin(attackers["unit_type"], ids.WORKERS).all())
    near = np.argsort(np.hypot(scvs["x"] - goal[0], scvs["y"] - goal[1]), kind="stable")
    near = near if worker_rush else near[:8]
    for k in near:
        if np.hypot(scvs["x"][k] - goal[0], scvs["y"][k] - goal[1]) < 15.0:
            orders.give(int(scvs["tag"][k]), Ability.Attack, point=goal)


def control_army(bot: "TerranBot", v: BotView) -> list[RawCommand]:
    p = bot.profile
    army = v.army
    orders = Orders()
    # Threats near our structures -> defend with everything.
    threat = None
    if len(v.enemy_units) and _any(v.own_structure):
        sx, sy = v.own["x"][v.own_structure], v.own["y"][v.own_structure]
        d = np.hypot(v.enemy_units["x"][:, None] - sx[None, :], v.enemy_units["y"][:, None] - sy[None, :]).min(axis=1)
        close = pick(v.enemy_units, d < p.defend_radius)
        if len(close):
            threat = close[int(np.argmin(np.hypot(close["x"] - bot.home[0], close["y"] - bot.home[1])))]
    if len(army) == 0:
        bot.attacking = False
        # No army: SCVs still fight raiders at home (else a few enemy SCVs or marines kill
        # every mining SCV, which never fights back on its own).
        if threat is not None and p.pull_workers:
            _pull_workers(bot, v, orders, (float(threat["x"]), float(threat["y"])))
        return orders.commands()

    food = v.army_food()
    if not bot.attacking and food >= p.attack_supply and v.loop >= p.attack_loop:
        bot.attacking = True
    elif bot.attacking and p.retreat_fraction > 0 and food < p.retreat_fraction * p.attack_supply:
        bot.attacking = False
    # Positions are read for the centre and regrouping (attacking) and distances to enemies.
    pos = xy(army) if bot.attacking or len(v.enemy) else None

    # The army's centre is read only while attacking (attack target, losing fights, regroup).
    centre = np.add.reduce(pos, axis=0) / len(pos) if bot.attacking else None  # pos.mean(axis=0)
    # Losing fight away from home: everyone back to the rally point (Hard and up).
    if bot.attacking and p.avoid_losing_fights and threat is None:
        fighters = pick(v.enemy_units, ~isin(v.enemy_units["unit_type"], ids.WORKERS))
        if len(fighters):
            near_us = pick(fighters, np.hypot(fighters["x"] - centre[0], fighters["y"] - centre[1]) < 14.0)
            if _value(near_us) > 1.5 * _value(army):
                bot.attacking = False

    if threat is not None:
        goal = (float(threat["x"]), float(threat["y"]))
        if p.hold_ramp and not bot.on_home_level(goal):
            goal = bot.rally  # wait above the ramp: the enemy comes up it a few at a time
        if p.pull_workers:
            _pull_workers(bot, v, orders, goal)
    elif bot.attacking:
        goal = attack_target(bot, centre)
    else:
        goal = bot.rally

    stimmed = (p.use_stim and _STIMPACK in v.upgrades and not bot.banned(Ability.EffectStim)
               and not v.available.isdisjoint(_STIM_ABILITIES))
    can_siege = p.siege_tanks and not v.available.isdisjoint(_SIEGE_ABILITIES)
    # Every unit's view of the enemies at once ([units, enemies]); the loop below only decides.
    n = len(army)
    enemy_seen = len(v.enemy) > 0
    anyone_sees = False
    if enemy_seen:
        enemy_pos = xy(v.enemy)
        reach = _RANGE.take(army["unit_type"], mode="clip")
        dist = np.hypot(enemy_pos[None, :, 0] - pos[:, None, 0], enemy_pos[None, :, 1] - pos[:, None, 1])
        in_sight = dist < reach[:, None] + 4.0
        seen = in_sight.any(axis=1)
        anyone_sees = bool(_any(seen))
    # Attacking now (ordered, or acquired by itself): what _has_order_all(Attack, ...) starts from.
    attack_now = v.army_attacking
    # The per-unit answers below are read only for units that see an enemy (sees[i]).
    picks = None
    if anyone_sees and (p.target_priority or p.focus_fire):
        picks = _targets(p, v, army, reach, dist, in_sight)
        target_tags, has_target = picks
        on_target = (attack_now & (army["order_target_tag"][:, 0] == target_tags)).tolist()
        target_tags, has_target = target_tags.tolist(), has_target.tolist()
    if p.retreat_damaged_below > 0 and anyone_sees and threat is None:
        hurt = (army["health"] < p.retreat_damaged_below * army["health_max"]).tolist()
        going_home = _has_order_all(army, _MOVE, bot.home).tolist()
    if p.regroup and bot.attacking and threat is None and len(army) > 3:
        ahead_np = np.hypot(pos[:, 0] - goal[0], pos[:, 1] - goal[1]) + 6.0 < np.hypot(
            centre[0] - goal[0], centre[1] - goal[1])
        ahead = ahead_np.tolist()
        at_centre = _has_order_all(army, _MOVE, tuple(centre), tol=4.0).tolist()
    else:
        ahead = None
    on_goal_np = attack_now & (np.abs(army["order_target_x"][:, 0] - goal[0])
                               + np.abs(army["order_target_y"][:, 0] - goal[1]) < 3.0)
    # Only units some branch below may act on: the rest see no enemy, are no tank, are not
    # ahead of the army and already attack-move to the goal (stim_ready implies sees).
    decide = ~on_goal_np
    if anyone_sees:
        decide |= seen
    if can_siege:
        decide |= (army["unit_type"] == _SIEGE_TANK) | (army["unit_type"] == _SIEGE_TANK_SIEGED)
    if ahead is not None:
        decide |= ahead_np
    todo = decide.nonzero()[0].tolist()
    if not todo:
        return orders.commands()
    tags, types = army["tag"].tolist(), army["unit_type"].tolist()
    sees = seen.tolist() if anyone_sees else [False] * n
    on_goal = on_goal_np.tolist()
    shooting = v.army_shooting.tolist()
    goal_key = Orders.key(Ability.Attack, point=goal)
    # The goal's group, made at its first order (as give_key would, so the groups keep their order).
    given, to_goal = orders.given, None
    if can_siege:
        if enemy_seen:
            near12, near14 = (dist < 12.0).any(axis=1).tolist(), (dist < 14.0).any(axis=1).tolist()
        else:
            near12 = near14 = [False] * n
    if stimmed:
        if enemy_seen:
            stim_ready = (((dist < reach[:, None] + 1.0).any(axis=1))
                          & (army["health"] > 0.6 * army["health_max"])).tolist()
        else:
            stim_ready = [False] * n
    for i in todo:
        tag, ut = tags[i], types[i]
        # Siege tanks: siege up near enemies, unsiege to follow the army.
        if can_siege:
            if ut == Unit.SiegeTank and near12[i] and not bot.banned(Ability.MorphSiegeMode):
                orders.give(tag, Ability.MorphSiegeMode)
                continue
            if ut == Unit.SiegeTankSieged:
                if not near14[i] and not bot.banned(Ability.MorphUnsiege):
                    orders.give(tag, Ability.MorphUnsiege)
                continue

        # Pull back badly hurt units that are in a fight.
        if p.retreat_damaged_below > 0 and sees[i] and threat is None:
            if hurt[i]:
                if not going_home[i]:
                    orders.give(tag, Ability.Move, point=bot.home)
                continue

        if stimmed and ut in STIMMABLE and stim_ready[i]:
            if v.loop - bot.stim_loop.get(tag, -10_000) > STIM_LOOPS:
                bot.stim_loop[tag] = v.loop
                orders.give(tag, Ability.EffectStim)
                continue

        # Shoot the target picked for it among the enemies in range (_targets); out of range
        # the attack-move below acquires targets (never chase).
        if picks is not None and sees[i] and has_target[i]:
            if not on_target[i]:
                orders.give(tag, Ability.Attack, unit=target_tags[i])
            continue

        # Wave control: the front waits for the army (regroup); without it units just walk.
        if ahead is not None and ahead[i] and not sees[i]:
            if not at_centre[i]:
                orders.give(tag, Ability.Move, point=(float(centre[0]), float(centre[1])))
            continue
        if not on_goal[i]:
            if shooting[i] and not (p.target_priority or p.focus_fire):
                continue  # already shooting something: let it finish
            if tag not in given:
                given.add(tag)
                if to_goal is None:
                    to_goal = orders.groups.setdefault(goal_key, [])
                to_goal.append(tag)
    return orders.commands()

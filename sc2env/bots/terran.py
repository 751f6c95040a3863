"""The scripted Terran bot: one class, its behaviour set by a BotProfile (sc2env.bots.profiles)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from sc2env.bots import army, economy, placement, production
from sc2env.bots.profiles import BotProfile
from sc2env.bots.view import BotView
from sc2env.types import GameInfo, Observation, RawCommand

# Backoff after a rejected command: the ability is not tried again for
# BACKOFF_BASE * 2**(errors-1) game loops, at most BACKOFF_MAX.
BACKOFF_BASE = 32
BACKOFF_MAX = 2240
# Build abilities: a rejected spot is never tried again.
_BUILD_ABILITIES = {318, 319, 320, 321, 322, 328}


class TerranBot:
    """Plays Terran from its own observation; deterministic given the seed."""

    def __init__(self, profile: BotProfile, seed: int) -> None:
        self.profile = profile
        self.seed = int(seed)
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.step = 0
        self.home: Optional[tuple[float, float]] = None
        self.enemy_start: tuple[float, float] = (0.0, 0.0)
        self.rally: tuple[float, float] = (0.0, 0.0)
        self.pathable = None
        self.keep_out = None
        self.attacking = False
        self.visited_enemy_start = False
        self.search_point = None
        self.enemy_structures: dict[int, tuple[float, float]] = {}
        self.gas_workers: dict[int, set[int]] = {}
        self.busy: set[int] = set()  # SCVs sent to build this step or still walking there
        self.bad_spots: set = set()
        self.last_build_spot: dict[int, object] = {}
        self.errors: dict[int, int] = {}
        self.banned_until: dict[int, int] = {}
        self.failed_steps: dict = {}
        self.skipped_steps: set = set()
        self.stim_loop: dict[int, int] = {}
        self.loop = 0
        self.commands_sent = 0
        self.errors_seen = 0

    # ------------------------------------------------------------------ errors
    def banned(self, ability: int) -> bool:
        return self.banned_until.get(int(ability), -1) > self.loop

    def _learn_from_errors(self, obs: Observation) -> None:
        for err in obs.action_errors:
            a = int(err.ability_id)
            self.errors_seen += 1
            self.errors[a] = self.errors.get(a, 0) + 1
            wait = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(self.errors[a] - 1, 10))
            self.banned_until[a] = self.loop + wait
            if a in _BUILD_ABILITIES and self.last_build_spot.get(a) is not None:
                self.bad_spots.add(tuple(self.last_build_spot[a]))
                self.banned_until[a] = self.loop + BACKOFF_BASE

    # -------------------------------------------------------------------- play
    def _first_look(self, v: BotView, game_info: GameInfo) -> None:
        if len(v.townhalls):
            th = v.townhalls[0]
            self.home = (float(th["x"]), float(th["y"]))
        elif len(v.own):
            self.home = (float(v.own["x"].mean()), float(v.own["y"].mean()))
        else:
            self.home = (game_info.map_size[0] / 2.0, game_info.map_size[1] / 2.0)
        starts = [s for s in game_info.start_locations if np.hypot(s[0] - self.home[0], s[1] - self.home[1]) > 10]
        if starts:
            pick = int(self.rng.integers(len(starts)))
            self.enemy_start = (float(starts[pick][0]), float(starts[pick][1]))
        else:
            self.enemy_start = (game_info.map_size[0] - self.home[0], game_info.map_size[1] - self.home[1])
        direction = np.array(self.enemy_start) - np.array(self.home)
        direction /= max(np.linalg.norm(direction), 1e-6)
        rally = np.array(self.home) + 9.0 * direction
        self.rally = (float(rally[0]), float(rally[1]))
        self.pathable = np.asarray(v.obs.map.pathable, dtype=bool)
        self.height = np.asarray(v.obs.map.height)
        self.home_height = int(self.height[int(self.home[1]), int(self.home[0])])
        self.keep_out = placement.keep_out_mask(v.obs.map.pathable, v.obs.map.placeable) | placement.army_lane_mask(
            v.obs.map.pathable, v.obs.map.placeable, self.home, self.rally)

    def on_home_level(self, point) -> bool:
        """Is `point` as high as the main base (not on its ramp or below it)?"""
        h = self.height
        y, x = min(max(int(point[1]), 0), h.shape[0] - 1), min(max(int(point[0]), 0), h.shape[1] - 1)
        return int(h[y, x]) >= self.home_height

    def act(self, obs: Observation, game_info: GameInfo) -> list[RawCommand]:
        self.loop = int(obs.game_loop)
        self._learn_from_errors(obs)
        self.step += 1
        if (self.step - 1) % self.profile.act_every:
            return []  # reaction time: this level looks at the game only every few steps
        v = BotView(obs)
        if self.home is None:
            self._first_look(v, game_info)
        # SCVs stay "busy" while they walk to a build site.
        self.busy = set(v.workers["tag"][v.building_workers].tolist())

        cmds: list[RawCommand] = []
        economy.train_workers(self, v, cmds)
        depot_money = economy.build_depots(self, v, cmds)
        reserve = production.run_build_order(self, v, cmds, depot_money)
        production.build_addons(self, v, cmds, reserve)
        production.research(self, v, cmds, reserve)
        production.train_army(self, v, cmds, reserve)
        economy.manage_workers(self, v, cmds)
        army.update_memory(self, v)
        cmds.extend(army.control_army(self, v))
        self.commands_sent += len(cmds)
        return cmds


__all__ = ["TerranBot"]

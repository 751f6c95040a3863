"""FindAndDefeatZerglings, DefeatRoaches, DefeatZerglingsAndBanelings: marines against Zerg waves."""

from __future__ import annotations

import numpy as np

from sc2env.engine.minigames.base import AGENT, ENEMY, MiniGame, UnitType
from sc2env.engine.minigames.layout import MAP_SIZE, group, sample_points, vertical_line


class FindAndDefeatZerglings(MiniGame):
    """3 Marines at the centre, 25 stationary Zerglings under fog: +1 per zergling, -1 per marine."""

    name = "FindAndDefeatZerglings"
    time_limit_seconds = 180
    fog_of_war = True
    zergling_count = 25

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        centre = (MAP_SIZE / 2.0, MAP_SIZE / 2.0)
        self.place(game, UnitType.Marine, AGENT, group(centre, 3, spacing=1.0))
        # 2 in sight (7.5..9.5 from the centre), 23 out of sight (>= 10.5), all >= 5 apart.
        near = sample_points(rng, 2, centre=centre, ring=(7.5, 9.5), min_gap=5.0)
        far = sample_points(rng, self.zergling_count - 2, avoid=near, min_avoid=5.0, centre=centre,
                            ring=(10.5, float("inf")), min_gap=5.0)
        self.place(game, UnitType.Zergling, ENEMY, np.concatenate([near, far]))

    def reward_and_done(self, game, events):
        reward = float(self.deaths(events, ENEMY, UnitType.Zergling) - self.deaths(events, AGENT, UnitType.Marine))
        n_marines = self.count(game, AGENT, UnitType.Marine)
        if n_marines and self.count(game, ENEMY, UnitType.Zergling) == 0:
            # A new set: >= 9 from every marine, >= 5 from each other.
            marines = self.slots(game, AGENT, UnitType.Marine)
            points = sample_points(self.rng, self.zergling_count, avoid=self.positions(game, marines),
                                   min_avoid=9.0, min_gap=5.0)
            self.place(game, UnitType.Zergling, ENEMY, points)
        return [reward], n_marines == 0


class _Waves(MiniGame):
    """Marines on one side, an enemy wave on the other; a cleared wave brings a new wave,
    reinforcements at full health, and every unit back to opposite sides."""

    fog_of_war = False
    marine_count = 9
    reinforcements = 0
    kill_reward: dict[int, float] = {}

    def enemy_wave(self, side_x: float) -> list[tuple[int, np.ndarray]]:
        raise NotImplementedError

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        self.waves = 0
        marine_x, enemy_x = self._sides()
        self.place(game, UnitType.Marine, AGENT, vertical_line(marine_x, self.marine_count))
        self._spawn_wave(game, enemy_x)

    def _sides(self) -> tuple[float, float]:
        left, right = 12.0, MAP_SIZE - 12.0
        return (left, right) if self.rng.random() < 0.5 else (right, left)

    def _spawn_wave(self, game, x: float) -> None:
        for unit_type, points in self.enemy_wave(x):
            self.place(game, unit_type, ENEMY, points)
        self.waves += 1

    def reward_and_done(self, game, events):
        reward = -float(self.deaths(events, AGENT, UnitType.Marine))
        for unit_type, value in self.kill_reward.items():
            reward += value * self.deaths(events, ENEMY, unit_type)
        n_marines = self.count(game, AGENT, UnitType.Marine)
        if n_marines and not any(self.count(game, ENEMY, t) for t in self.kill_reward):
            marines = self.slots(game, AGENT, UnitType.Marine)
            marine_x, enemy_x = self._sides()
            # Survivors keep their health; reinforcements arrive at full health.
            line = vertical_line(marine_x, len(marines) + self.reinforcements)
            for slot, (x, y) in zip(marines, line):
                self.teleport(game, int(slot), float(x), float(y))
            self.place(game, UnitType.Marine, AGENT, line[len(marines):])
            self._spawn_wave(game, enemy_x)
        return [reward], n_marines == 0


class DefeatRoaches(_Waves):
    """9 Marines vs 4 Roaches: +10 per roach, -1 per marine; a cleared wave adds 5 marines."""

    name = "DefeatRoaches"
    time_limit_seconds = 120
    reinforcements = 5
    kill_reward = {UnitType.Roach: 10.0}

    def enemy_wave(self, side_x: float):
        return [(UnitType.Roach, vertical_line(side_x, 4, spacing=2.0))]


class DefeatZerglingsAndBanelings(_Waves):
    """9 Marines vs 6 Zerglings + 4 Banelings: +5 per kill, -1 per marine; a cleared wave adds 4 marines."""

    name = "DefeatZerglingsAndBanelings"
    time_limit_seconds = 120
    reinforcements = 4
    kill_reward = {UnitType.Zergling: 5.0, UnitType.Baneling: 5.0}

    def enemy_wave(self, side_x: float):
        centre_y = MAP_SIZE / 2.0
        return [
            (UnitType.Zergling, group((side_x, centre_y), 6, spacing=1.2)),
            (UnitType.Baneling, group((side_x + (-2.5 if side_x < MAP_SIZE / 2 else 2.5), centre_y), 4, spacing=1.2)),
        ]

"""MoveToBeacon and CollectMineralShards: move marines onto neutral markers."""

from __future__ import annotations

import numpy as np

from sc2env.engine.minigames import reward_kernel as RK
from sc2env.engine.minigames.base import AGENT, NEUTRAL, MiniGame, UnitType
from sc2env.engine.minigames.layout import SCREEN_MARGIN, sample_points

MARINE_RADIUS = 0.375


class MoveToBeacon(MiniGame):
    """1 Marine, 1 Beacon, within one screen (layout.SCREEN_WIDTH). Reaching the beacon: +1,
    and the beacon moves >= 5 away."""

    name = "MoveToBeacon"
    time_limit_seconds = 120
    fog_of_war = False
    beacon_radius = 1.0
    first_gap = 4.0  # initial beacon >= 4 from the marine
    respawn_gap = 5.0  # later beacons >= 5 from the marine

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        marine = sample_points(rng, 1, margin=SCREEN_MARGIN)
        self.place(game, UnitType.Marine, AGENT, marine)
        self._spawn_beacon(game, marine, self.first_gap)

    def _spawn_beacon(self, game, marines: np.ndarray, gap: float) -> None:
        point = sample_points(self.rng, 1, avoid=marines, min_avoid=gap, margin=SCREEN_MARGIN)
        self.beacon = self.place(game, UnitType.Beacon, NEUTRAL, point)[0]
        self.beacon_xy = point[0]

    def reward_and_done(self, game, events):
        n, nearest = self.nearest_distance(game, AGENT, UnitType.Marine, self.beacon_xy[0], self.beacon_xy[1])
        reward = 0.0
        if n and nearest <= self.beacon_radius + MARINE_RADIUS:
            reward = 1.0
            game.remove_unit(self.beacon)
            self._spawn_beacon(game, self.positions(game, self.slots(game, AGENT, UnitType.Marine)), self.respawn_gap)
        return [reward], n == 0


class CollectMineralShards(MiniGame):
    """2 Marines, 20 shards within one screen; +1 per shard; all collected -> 20 new ones >= 2
    from the marines."""

    name = "CollectMineralShards"
    time_limit_seconds = 120
    fog_of_war = False
    shard_count = 20
    shard_radius = 0.5
    spawn_gap = 2.0

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        marines = sample_points(rng, 2, min_gap=2.0, margin=SCREEN_MARGIN)
        self.place(game, UnitType.Marine, AGENT, marines)
        self._spawn_shards(game, marines)

    def _spawn_shards(self, game, marines: np.ndarray) -> None:
        points = sample_points(self.rng, self.shard_count, avoid=marines, min_avoid=self.spawn_gap, min_gap=1.5,
                               margin=SCREEN_MARGIN)
        slots = self.place(game, UnitType.MineralShard, NEUTRAL, points)
        self.shards = dict(zip(slots, map(tuple, points.tolist())))
        # The same shards as arrays for RK.markers_reached: slot, position, still there.
        self._shard_slots = slots
        self._shard_xy = np.array(points, dtype=np.float64).reshape(-1, 2)
        self._shard_left = np.ones(len(slots), np.uint8)
        self._shard_hit = np.zeros(len(slots), np.uint8)
        self._no_hit = bytes(len(slots))  # _shard_hit's bytes when no shard is reached

    def reward_and_done(self, game, events):
        marine = game.types.index.get(UnitType.Marine, -2)
        hit = self._shard_hit
        n = RK.markers_reached(game.state.fl, game.state.it, AGENT, marine, self._shard_xy, self._shard_left,
                               self.shard_radius + MARINE_RADIUS, hit)
        reward = 0.0
        # Most steps reach no shard: one bytes comparison says so (a numpy call costs ~1 us).
        if n and hit.tobytes() != self._no_hit:
            # every shard against every marine at once, removed in placement order
            for k in np.flatnonzero(hit).tolist():
                slot = self._shard_slots[k]
                reward += 1.0
                game.remove_unit(slot)
                del self.shards[slot]
                self._shard_left[k] = 0
            if not self.shards:
                self._spawn_shards(game, self.positions(game, self.slots(game, AGENT, UnitType.Marine)))
        return [reward], n == 0

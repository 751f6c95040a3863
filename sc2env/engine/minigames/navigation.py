"""MoveToBeacon and CollectMineralShards: move marines onto neutral markers.

Geometry from the real maps (pysc2's mini_games v1.2 MoveToBeacon.SC2Map and
CollectMineralShards.SC2Map: their Regions file and MapScript.galaxy triggers). Both init
triggers make region "Playable Space" (22, 20)-(44, 36) the playable map (RegionPlayableMapSet)
and spawn the marines anywhere in it; the markers spawn in smaller rectangles inside it.
"""

from __future__ import annotations

import numpy as np

from sc2env.engine.maps import MapSpec, flat_map
from sc2env.engine.minigames import reward_kernel as RK
from sc2env.engine.minigames.base import AGENT, NEUTRAL, MiniGame, UnitType
from sc2env.engine.minigames.layout import MAP_SIZE, sample_points

MARINE_RADIUS = 0.375
PLAYABLE = ((22, 20), (44, 36))
# Marines spawn with their whole footprint inside the playable rectangle (the real game would
# push a unit spawned on the edge back in).
MARINE_SPAWN = (PLAYABLE[0][0] + MARINE_RADIUS, PLAYABLE[0][1] + MARINE_RADIUS,
                PLAYABLE[1][0] - MARINE_RADIUS, PLAYABLE[1][1] - MARINE_RADIUS)


class _PlayableSpace(MiniGame):
    """A mini-game played inside the real maps' "Playable Space" rectangle."""

    def make_map(self) -> MapSpec:
        return flat_map(self.name, MAP_SIZE, MAP_SIZE, playable=PLAYABLE)


class MoveToBeacon(_PlayableSpace):
    """1 Marine, 1 Beacon. The marine's centre within 1.25 of the beacon's: +1, and the beacon
    moves >= 5 away (the map's "Beacon Area", a circle of radius 1.25 that the score trigger
    tests the marine's position against every game loop; here it is tested after each env
    step, so a marine that only passes through the circle between two steps scores nothing)."""

    name = "MoveToBeacon"
    time_limit_seconds = 120
    fog_of_war = False
    beacon_reach = 1.25
    gap = 5.0  # every beacon, the first included, >= 5 from the marine
    # "Beacon Spawn Region": this rectangle without the circle of radius 4 around (33, 28).
    beacon_box = (23.5, 21.5, 42.5, 34.5)
    beacon_hole = ((33.0, 28.0), 4.0)

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        marine = sample_points(rng, 1, box=MARINE_SPAWN)
        self.place(game, UnitType.Marine, AGENT, marine)
        self._spawn_beacon(game, marine)

    def _spawn_beacon(self, game, marines: np.ndarray) -> None:
        centre, radius = self.beacon_hole
        point = sample_points(self.rng, 1, avoid=marines, min_avoid=self.gap, centre=centre,
                              ring=(radius, float("inf")), box=self.beacon_box)
        self.beacon = self.place(game, UnitType.Beacon, NEUTRAL, point)[0]
        self.beacon_xy = point[0]

    def reward_and_done(self, game, events):
        n, nearest = self.nearest_distance(game, AGENT, UnitType.Marine, self.beacon_xy[0], self.beacon_xy[1])
        reward = 0.0
        if n and nearest <= self.beacon_reach:
            reward = 1.0
            game.remove_unit(self.beacon)
            self._spawn_beacon(game, self.positions(game, self.slots(game, AGENT, UnitType.Marine)))
        return [reward], n == 0


class CollectMineralShards(_PlayableSpace):
    """2 Marines, 20 shards in the map's "Mineral Area" (23, 21)-(43, 35); +1 per shard; all
    collected -> 20 new ones, each >= 2 from the nearest marine (shards may overlap, as on the
    real map)."""

    name = "CollectMineralShards"
    time_limit_seconds = 120
    fog_of_war = False
    shard_count = 20
    shard_radius = 0.5
    spawn_gap = 2.0
    shard_box = (23.0, 21.0, 43.0, 35.0)

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        # The real map places both anywhere in the playable space; two units on one spot would
        # be pushed apart, so they start at least a marine's diameter apart.
        marines = sample_points(rng, 2, min_gap=2 * MARINE_RADIUS, box=MARINE_SPAWN)
        self.place(game, UnitType.Marine, AGENT, marines)
        self._spawn_shards(game, marines)

    def _spawn_shards(self, game, marines: np.ndarray) -> None:
        points = sample_points(self.rng, self.shard_count, avoid=marines, min_avoid=self.spawn_gap,
                               box=self.shard_box)
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

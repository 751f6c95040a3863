"""One embedded game: state + simulation kernel + commands + observations.

`Game` is the engine-level API (documented in sc2env/engine/__init__.py). It owns a
`GameState` (arrays), runs `kernel.simulate` for n game loops, handles the kernel's
events (units trained, structures finished, SCVs arriving at build sites, deaths),
applies per-player `RawCommand`s (sc2env.engine.commands) and builds per-player fogged
`Observation`s (sc2env.engine.observe).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from sc2env.engine import kernel as K
from sc2env.engine import vision as V
from sc2env.engine import observe_kernel as OK
from sc2env.engine import state as S
from sc2env.engine.gamedata import UnitTypes, load_unit_types
from sc2env.engine.maps import MapSpec, melee_map
from sc2env.engine.commands import apply_command, command_to_dict
from sc2env.engine.observe import build_observation
from sc2env.engine.pathing import blocked_table
from sc2env.engine.scenario import StepEvents
from sc2env.types import ActionError, GameInfo, Race, RawCommand, Result

ENGINE_VERSION = "starleague-engine-6"  # 2: shots in a game loop land together; mirrored pathing goal cells and tie-breaks; wedged SCVs re-pick a field. 3: point-mirror fairness (loop-start positions for targeting, summed collision pushes, per-owner stagger phase, border-symmetric blocked(), new units toward the rally point). 4: MoveToBeacon and CollectMineralShards spawn within one screen (24 cells), as the real single-screen maps. 5: a straight line that cuts across a blocked cell's corner is not clear (a unit sent along one could swing between it and the grid path for ever). 6: MoveToBeacon and CollectMineralShards take the real maps' regions (playable space, spawn rectangles, beacon reach 1.25)
FIELD_CACHE = 48
START_WORKERS = 12
START_MINERALS = 50
_REFERENCE_FIELDS = np.array([S.TARGET, S.ENGAGED, S.HOME])  # the slot references _drop_references clears


class EngineError(RuntimeError):
    """The engine was asked for something it cannot do (unknown map, game over, bad player id)."""


class Game:
    """A deterministic game of up to two players on one map. See sc2env.engine for the API."""

    def __init__(self, map_spec: MapSpec, seed: int = 0, races: Sequence[Race] = (Race.Terran, Race.Terran),
                 game_loop_limit: int = 22400, melee: bool = True, fog_of_war: bool = True) -> None:
        self.types: UnitTypes = load_unit_types()
        self.map = map_spec
        self.seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self.seed))
        self.races = tuple(races)
        self.game_loop_limit = int(game_loop_limit)
        self.melee = melee
        self.fog_of_war = fog_of_war
        self.state = S.GameState(map_spec, self.types)
        self.tf, self.ti = K.type_tables(self.types)
        h, w = map_spec.height, map_spec.width
        self._fields = np.zeros((FIELD_CACHE, h, w), np.int32)
        self._cell_field = np.full(h * w, -1, np.int64)
        self._field_cell = np.full(FIELD_CACHE, -1, np.int64)
        self._fnext = np.zeros(1 + 2 * h * w, np.int64)  # [0]: next field slot to reuse; [1:]: BFS queue
        self._fields_version = self.state.pathing_version
        self._blocked = blocked_table(self.state.pathable)  # pathing.blocked_table, rebuilt with the grid
        self._blocked_version = self.state.pathing_version
        self._events = np.zeros((K.MAX_EVENTS, 4), np.int64)
        self._n_events = np.zeros(1, np.int64)
        self._work_capacity = -1  # simulate's scratch (self._work) is sized on the first step
        self._structures_left = np.zeros(3, np.int64)
        self._research_total = np.zeros(self.state.capacity, np.float64)
        self.queued_orders: dict[int, list] = {}  # slot -> pending RawCommand-like orders
        self.rally: dict[int, tuple] = {}  # structure slot -> ("point", x, y) | ("unit", slot)
        self.pending_errors: dict[int, list[ActionError]] = {1: [], 2: []}
        self.step_events = StepEvents()
        self.results: dict[int, Result] = {}
        # Every command and step, in order: ["c", player, command dict] / ["s", n_loops]. A
        # game-level replay (sc2env.replay.save_game_replay) re-applies it exactly.
        self.record = True
        self.log: list[list] = []
        if melee:
            self._setup_melee()

    @classmethod
    def melee_game(cls, map_name: str, seed: int = 0, game_loop_limit: int = 22400) -> "Game":
        return cls(melee_map(map_name), seed=seed, game_loop_limit=game_loop_limit, melee=True)

    # ------------------------------------------------------------------ setup
    def _setup_melee(self) -> None:
        st = self.state
        for base in self.map.bases:
            for x, y, contents in base.minerals:
                self.add_unit(341 if contents > 900 else 483, S.NEUTRAL, x, y, contents=contents)
            for x, y, contents in base.geysers:
                self.add_unit(342, S.NEUTRAL, x, y, contents=contents)
        for player, (sx, sy) in enumerate(self.map.start_locations, start=1):
            self.add_unit(18, player, sx, sy)
            toward = np.array([self.map.width / 2 - sx, self.map.height / 2 - sy])
            toward /= np.linalg.norm(toward)
            for k in range(START_WORKERS):
                ang = math.atan2(toward[1], toward[0]) + (k - (START_WORKERS - 1) / 2) * 0.22
                rad = 3.6 + 0.8 * (k % 2)
                self.add_unit(45, player, sx + rad * math.cos(ang), sy + rad * math.sin(ang))
            st.pl[S.P_MINERALS, player] = START_MINERALS
        self._update_food()
        self._update_visibility()

    # ------------------------------------------------------------- unit API
    def add_unit(self, unit_type: int, owner: int, x: float, y: float, *, built: bool = True,
                 contents: float = 0.0) -> int:
        """Create a unit of SC2 UnitTypeId unit_type; returns its slot (see GameState.add_unit)."""
        i = self.state.add_unit(unit_type, owner, x, y, built=built, contents=contents)
        self._cover_research_total(i)
        self._research_total[i] = 0.0
        self._forget_orders_and_rally((i,))
        return i

    def add_units(self, unit_type: int, owner: int, xs, ys, *, contents: float = 0.0) -> list[int]:
        """Several units of one type for `owner` at once, as add_unit one by one in order (same slots
        and tags; GameState.add_units); a mini-game's refill of 20 units costs ~1/4 of 20 calls."""
        slots = self.state.add_units(unit_type, owner, xs, ys, contents=contents)
        if len(slots):
            self._cover_research_total(int(slots.max()))
        self._research_total[slots] = 0.0
        out = slots.tolist()
        self._forget_orders_and_rally(out)
        return out

    def _cover_research_total(self, slot: int) -> None:
        """Grow the per-slot research totals with the state's arrays when `slot` is past their end."""
        if slot >= len(self._research_total):
            self._research_total = np.concatenate([self._research_total, np.zeros(self.state.capacity - len(
                self._research_total))])

    def remove_unit(self, i: int) -> None:
        """Remove a unit now (no death event); scenarios use it to despawn markers."""
        if np.count_nonzero(self.state.it.take(_REFERENCE_FIELDS, axis=0) == i):
            self._drop_references(np.array([i]))
        else:  # what _drop_references does when no unit refers to i (a mini-game's marker: ~15 us saved)
            self._forget_orders_and_rally((i,))
        self.state.remove_unit(i)

    def teleport(self, i: int, x: float, y: float) -> None:
        """Put a unit at (x, y) and clear its orders (scenario resets)."""
        from sc2env.engine.commands import set_order

        set_order(self, i, S.IDLE, 0, x, y)
        self.state.fl[S.X, i] = x
        self.state.fl[S.Y, i] = y
        self.queued_orders.pop(i, None)
        self.state.it[S.HAS_QUEUE, i] = 0

    def units(self, owner: int, unit_type: Optional[int] = None) -> np.ndarray:
        """Slots of the live units of `owner` (optionally of one SC2 UnitTypeId)."""
        t = None if unit_type is None else self.types.index.get(unit_type, -2)
        return self.state.units_of(owner, t)

    def position(self, i: int) -> tuple[float, float]:
        return float(self.state.fl[S.X, i]), float(self.state.fl[S.Y, i])

    def tag(self, i: int) -> int:
        return int(self.state.tags[i])

    def unit_type(self, i: int) -> int:
        return int(self.types.unit_id[self.state.it[S.TYPE, i]])

    # ------------------------------------------------------------ commands
    def command(self, player: int, cmd: RawCommand) -> list[ActionError]:
        """Apply one RawCommand for `player`; rejected parts come back as ActionErrors (also
        reported in that player's next observation)."""
        if self.record:
            self.log.append(["c", int(player), command_to_dict(cmd)])
        errors = apply_command(self, player, cmd)
        self.pending_errors.setdefault(player, []).extend(errors)
        return errors

    def apply_commands(self, player: int, commands: Sequence[RawCommand]) -> list[ActionError]:
        errors: list[ActionError] = []
        for cmd in commands:
            errors.extend(self.command(player, cmd))
        return errors

    # ---------------------------------------------------------------- step
    def step(self, n_loops: int) -> StepEvents:
        """Advance n game loops (fewer if the game ends). Returns what happened."""
        if self.is_over():
            raise EngineError("the game is over; create a new Game")
        st = self.state
        if self.record:
            self.log.append(["s", int(n_loops)])
        self.step_events = StepEvents()
        mined_before = st.pl[S.P_MINED_MINERALS:S.P_MINED_GAS + 1].tolist()  # python floats: [minerals, gas][player]
        n_loops = min(int(n_loops), self.game_loop_limit - st.game_loop) if self.game_loop_limit else int(n_loops)
        left = n_loops
        while left > 0:
            if st.pathing_version != self._fields_version:
                self._cell_field[:] = -1
                self._field_cell[:] = -1
                self._fields_version = st.pathing_version
            if st.pathing_version != self._blocked_version:
                self._blocked = blocked_table(st.pathable)
                self._blocked_version = st.pathing_version
            if len(self._research_total) < st.capacity:
                self._research_total = np.concatenate(
                    [self._research_total, np.zeros(st.capacity - len(self._research_total))])
            if self._work_capacity != st.capacity:
                self._work = np.zeros(K.work_size(st.capacity, self.map.height, self.map.width), np.int64)
                self._fwork = np.zeros((4, st.capacity), np.float64)
                self._work_capacity = st.capacity
            done = K.simulate(st.fl, st.it, st.pl, self.tf, self.ti, st.pathable, self._blocked, self._fields, self._cell_field,
                              self._field_cell, self._fnext, self._events, self._n_events, left, st.game_loop,
                              self._research_total, self._work, self._fwork)
            st.game_loop += done
            left -= done
            n_events = int(self._n_events[0])
            if n_events:
                self._handle_events(self._events[:n_events].copy())
            self._update_food()
        self._update_visibility()
        (m0, m1, m2), (g0, g1, g2) = mined_before
        (n0, n1, n2), (h0, h1, h2) = st.pl[S.P_MINED_MINERALS:S.P_MINED_GAS + 1].tolist()
        self.step_events.collected_minerals.update({1: int(n1 - m1), 2: int(n2 - m2)})
        self.step_events.collected_vespene.update({1: int(h1 - g1), 2: int(h2 - g2)})
        if self.melee:
            self._check_melee_end()
        return self.step_events

    def _handle_events(self, events: np.ndarray) -> None:
        from sc2env.engine import events as E

        deaths = [int(a) for kind, a, _, _ in events if kind == K.EV_DEATH]
        for kind, a, b, c in events:
            if kind == K.EV_TRAIN_DONE:
                E.train_done(self, int(a), int(b), int(c))
            elif kind == K.EV_RESEARCH_DONE:
                E.research_done(self, int(a))
            elif kind == K.EV_STRUCT_DONE:
                E.structure_done(self, int(a), int(b))
            elif kind == K.EV_BUILD_ARRIVE:
                E.build_arrive(self, int(a), int(b))
            elif kind == K.EV_ORDER_DONE:
                E.next_queued_order(self, int(a))
            elif kind == K.EV_DEPLETED:
                if self.state.it[S.ALIVE, a] == 1 and self.types.names[self.state.it[S.TYPE, a]] != "Refinery":
                    deaths.append(int(a))
        if deaths:
            E.remove_dead(self, deaths)

    def _drop_references(self, slots: np.ndarray) -> None:
        it = self.state.it
        gone = np.zeros(self.state.capacity + 1, np.bool_)  # index -1 (no reference) lands on the extra cell
        gone[np.asarray(slots, np.int64)] = True

        def refers(field: int) -> np.ndarray:
            ref = it[field]
            return gone[np.where(ref >= 0, ref, self.state.capacity)]

        refs = refers(S.TARGET)
        attacking = refs & ((it[S.ORDER] == S.ATTACK_UNIT) | (it[S.ORDER] == S.CONSTRUCT))
        it[S.ORDER, attacking] = S.IDLE
        it[S.ABILITY, attacking] = 0
        it[S.TARGET, refs] = -1
        it[S.ENGAGED, refers(S.ENGAGED)] = -1
        it[S.HOME, refers(S.HOME)] = -1
        self._forget_orders_and_rally(slots)

    def _forget_orders_and_rally(self, slots) -> None:
        for i in slots:
            self.queued_orders.pop(int(i), None)
            self.rally.pop(int(i), None)

    # ---------------------------------------------------------- bookkeeping
    def _update_food(self) -> None:
        OK.update_food(self.state.it, self.tf, self.ti, self.types.food_provided, self.state.pl)

    def _update_visibility(self) -> None:
        """Both players' vision, remembered structures and the structure count (self._structures_left)."""
        st = self.state
        V.update_vision(st.fl, st.it, self.tf, self.ti, st.visibility, st.snapshot, self._structures_left)

    def _check_melee_end(self) -> None:
        _, left1, left2 = self._structures_left.tolist()  # counted by _update_visibility at the end of step()
        has1, has2 = left1 > 0, left2 > 0
        if not has1 and not has2:
            self.results = {1: Result.Tie, 2: Result.Tie}
        elif not has1:
            self.results = {1: Result.Defeat, 2: Result.Victory}
        elif not has2:
            self.results = {1: Result.Victory, 2: Result.Defeat}
        elif self.game_loop_limit and self.state.game_loop >= self.game_loop_limit:
            self.results = {1: Result.Tie, 2: Result.Tie}

    def end_scenario(self, results: Optional[dict[int, Result]] = None) -> None:
        """Scenarios end the game themselves (no melee victory rule)."""
        self.results = results or {1: Result.Tie, 2: Result.Tie}

    # ------------------------------------------------------------ queries
    @property
    def game_loop(self) -> int:
        return self.state.game_loop

    def is_over(self) -> bool:
        return bool(self.results)

    def result(self, player: int) -> Result:
        return self.results.get(player, Result.Undecided)

    def observe(self, player: int, observe_opponent: bool = False):
        """The fogged Observation of `player` (1 or 2); takes and clears its pending action errors."""
        if player not in (1, 2):
            raise EngineError(f"player must be 1 or 2, got {player}")
        obs = build_observation(self, player)
        obs.action_errors = self.pending_errors.get(player, [])
        self.pending_errors[player] = []
        if observe_opponent:
            obs.opponent = build_observation(self, 3 - player)
        return obs

    def game_info(self, player: int = 1) -> GameInfo:
        cached = self.__dict__.setdefault("_game_info", {})  # GameInfo is frozen and the map never changes
        if player not in cached:
            cached[player] = self._make_game_info(player)
        return cached[player]

    def _make_game_info(self, player: int) -> GameInfo:
        starts = [s for k, s in enumerate(self.map.start_locations, start=1) if k != player]
        return GameInfo(map_name=self.map.name, map_size=(self.map.width, self.map.height),
                        playable_min=self.map.playable_min, playable_max=self.map.playable_max,
                        start_locations=tuple((float(x), float(y)) for x, y in starts),
                        player_races=tuple(self.races))

    def state_hash(self) -> str:
        return self.state.state_hash()

    def army_supply(self, player: int) -> float:
        it = self.state.it
        mine = (it[S.ALIVE] == 1) & (it[S.OWNER] == player)
        t = it[S.TYPE, mine]
        army = (self.ti[K.T_KIND, t] == K.K_UNIT)
        return float(self.tf[K.T_FOOD_REQ, t[army]].sum())

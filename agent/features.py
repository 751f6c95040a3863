"""Observation -> fixed-shape numpy arrays the policy reads (one env step at a time).

`FeatureSpec` (built from a ModelConfig) fixes every shape: entities padded to
`max_entities` with a mask, spatial planes on an S x S grid over the playable area,
scalars. `spec.encode(obs, game_info, last_action)` is called by the actor per env step
(vectorised numpy, see bench/model_speed.py); `spec.stack(list)` batches; the learner
validates trajectories against `spec.shapes()` and `spec.action_shapes()`.

Entities are not embedded here: the model embeds unit types and scatters entity
embeddings onto the map at `entity_cell`. Which entity may perform which action type is
a unit-type table lookup (`spec.unit_type_can_do`) the model does itself, so trajectories
do not carry an [N, A] mask. Ids the game data does not know map to index 0 ("unknown").
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Mapping, Optional, Sequence

import numpy as np

from agent.actions import HEADS, NO_OP, ActionType, Target, action_types
from agent.model.config import ModelConfig
from agent.model.presets import resolve_model_config
from agent.vocabulary import GameVocabulary, game_vocabulary
from sc2env.types import Alliance, GameInfo, Observation, PlayerCommon

Shapes = dict[str, tuple[tuple[int, ...], np.dtype]]

# Entity rows are kept in this alliance priority when there are more than max_entities.
_ALLIANCE_PRIORITY = np.array([3, 0, 1, 3, 2], dtype=np.int64)  # index = Alliance value
SPATIAL_PLANES = ("height", "pathable", "placeable", "hidden", "fogged", "visible", "creep")
# Periods (in game loops) of the game time's sinusoidal encoding: 64 loops (4 game seconds) to
# 16384 (~17 game minutes), as AlphaStar encodes the game loop. The two plain time scalars alone
# change by 0.015 over a two-minute mini-game's last 40 steps, too little for the baseline to
# see its time limit coming: an unroll holding an episode end had a baseline loss hundreds of
# times the others' (CollectMineralShards, twelfth sitting).
TIME_PERIODS = tuple(2.0**k for k in range(6, 15))
PLAYER_SCALARS = 16 + 2 * 5 + 2 * len(TIME_PERIODS)  # see _player_scalars; race one-hots of 5; sin, cos
ENTITY_SCALARS = 41  # see _entity_scalars
ENTITY_POSITION_COLUMNS = slice(0, 2)  # x, y over the playable area, the first two of _entity_scalars


class FeatureError(ValueError):
    """An observation or batch does not fit the feature spec."""


@dataclasses.dataclass(frozen=True)
class Grid:
    """The S x S grid over a map's playable area: map coordinates <-> cell indices."""

    size: int
    x0: float
    y0: float
    cell_w: float
    cell_h: float
    # Row/column of the minimap plane sampled for each grid cell (nearest neighbour).
    plane_rows: np.ndarray
    plane_cols: np.ndarray


class FeatureSpec:
    """Shapes, vocabularies and the encoder of observations for one model config."""

    def __init__(self, config: ModelConfig, vocabulary: Optional[GameVocabulary] = None):
        config = resolve_model_config(config)
        self.config = config
        self.max_entities = config.max_entities
        self.spatial_size = config.spatial_size
        self.max_selected_units = config.max_selected_units
        self.max_delay = config.max_delay
        self.privileged_baseline = config.privileged_baseline
        self.vocabulary = vocabulary or game_vocabulary()
        self.action_table: tuple[ActionType, ...] = action_types()
        self.num_actions = len(self.action_table)
        self.num_unit_types = self.vocabulary.unit_types.size
        self.num_upgrades = self.vocabulary.upgrades.size
        # Order abilities map to the action type that issues them; unknown orders get
        # their own slot at index num_actions (no order = no_op).
        self.num_order_types = self.num_actions + 1
        self.unit_type_can_do = self._unit_type_can_do()
        self.target_alliance_ok, self.target_type_ok = self._target_tables()
        self._ability_to_actions, self._ability_to_order = self._ability_tables()
        self._targets_unit = np.array([k.target is Target.UNIT for k in self.action_table])
        self.opponent_scalars_size = PLAYER_SCALARS + self.num_upgrades + self.num_unit_types + 1

    # ----- tables -------------------------------------------------------------------
    def _unit_type_can_do(self) -> np.ndarray:
        """bool [unit type index, action type]: the unit type can use the action type."""
        table = np.zeros((self.num_unit_types, self.num_actions), dtype=bool)
        for a, kind in enumerate(self.action_table):
            if kind.performers:
                table[self.vocabulary.unit_types.index(np.array(sorted(kind.performers))), a] = True
        table[0, :] = False  # unknown unit types perform nothing
        return table

    def _target_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """bool [A, alliance 0..4] and [unit type index, A]: who a unit-targeted action may target."""
        alliance_ok = np.zeros((self.num_actions, len(_ALLIANCE_PRIORITY)), dtype=bool)
        type_ok = np.ones((self.num_unit_types, self.num_actions), dtype=bool)
        for a, kind in enumerate(self.action_table):
            alliance_ok[a, sorted(kind.target_alliances)] = True
            if kind.target_types is not None:
                type_ok[:, a] = False
                type_ok[self.vocabulary.unit_types.index(np.array(sorted(kind.target_types))), a] = True
        return alliance_ok, type_ok

    def _ability_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Ability id -> action types it makes available (bool [ids, A]) / order slot (int [ids])."""
        remap = self.vocabulary.ability_remap
        top = max([k.ability_id for k in self.action_table] + list(remap) + list(remap.values())) + 1
        to_actions = np.zeros((top, self.num_actions), dtype=bool)
        to_order = np.full(top, self.num_actions, dtype=np.int64)
        to_order[0] = NO_OP
        for a, kind in reversed(list(enumerate(self.action_table))):  # first entry wins for orders
            if kind.ability_id == 0:
                continue
            ids = [kind.ability_id] + [s for s, g in remap.items() if g == kind.ability_id]
            to_actions[ids, a] = True
            to_order[ids] = a
        return to_actions, to_order

    def action_types_for_ability(self, ability_id: int) -> np.ndarray:
        """bool [A]: the action types that send `ability_id` (or the general ability it belongs to)."""
        ability_id = int(ability_id)
        if not 0 <= ability_id < len(self._ability_to_actions):
            return np.zeros(self.num_actions, dtype=bool)
        return self._ability_to_actions[ability_id]

    # ----- shapes -------------------------------------------------------------------
    def shapes(self) -> Shapes:
        n, s = self.max_entities, self.spatial_size
        shapes: Shapes = {
            "entity_type": ((n,), np.dtype(np.int64)),
            "entity_alliance": ((n,), np.dtype(np.int64)),
            "entity_order": ((n,), np.dtype(np.int64)),
            "entity_scalars": ((n, ENTITY_SCALARS), np.dtype(np.float32)),
            "entity_cell": ((n,), np.dtype(np.int64)),
            "entity_mask": ((n,), np.dtype(np.bool_)),
            "spatial": ((len(SPATIAL_PLANES), s, s), np.dtype(np.float32)),
            "player_scalars": ((PLAYER_SCALARS,), np.dtype(np.float32)),
            "upgrades": ((self.num_upgrades,), np.dtype(np.float32)),
            "available_actions": ((self.num_actions,), np.dtype(np.bool_)),
            "last_action_type": ((), np.dtype(np.int64)),
            "last_delay": ((), np.dtype(np.int64)),
        }
        if self.privileged_baseline:
            shapes["opponent_scalars"] = ((self.opponent_scalars_size,), np.dtype(np.float32))
        return shapes

    def action_shapes(self) -> Shapes:
        shapes: Shapes = {head: ((), np.dtype(np.int64)) for head in HEADS}
        shapes["selected_units"] = ((self.max_selected_units,), np.dtype(np.int64))
        return shapes

    @staticmethod
    def stack(items: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Per-env feature (or action) dicts -> one dict of arrays with a leading batch axis."""
        if not items:
            raise FeatureError("stack needs at least one item")
        return {name: np.stack([item[name] for item in items]) for name in items[0]}

    def validate(self, batch: Mapping[str, np.ndarray], shapes: Shapes, leading: int) -> None:
        """Raise FeatureError unless `batch` has exactly `shapes` after `leading` axes."""
        if set(batch) != set(shapes):
            raise FeatureError(f"names differ: missing {sorted(set(shapes) - set(batch))}, extra {sorted(set(batch) - set(shapes))}")
        for name, (shape, dtype) in shapes.items():
            array = np.asarray(batch[name])
            if array.shape[leading:] != shape or array.ndim != leading + len(shape) or array.dtype != dtype:
                raise FeatureError(f"{name}: expected [..{leading} axes..]+{shape} {dtype}, got {array.shape} {array.dtype}")

    # ----- geometry -----------------------------------------------------------------
    @functools.lru_cache(maxsize=16)
    def grid(self, game_info: GameInfo, plane_shape: tuple[int, int]) -> Grid:
        (x0, y0), (x1, y1) = game_info.playable_min, game_info.playable_max
        if x1 <= x0 or y1 <= y0:
            raise FeatureError(f"empty playable area {game_info.playable_min}..{game_info.playable_max}")
        s = self.spatial_size
        cell_w, cell_h = (x1 - x0) / s, (y1 - y0) / s
        centres = np.arange(s) + 0.5
        map_w, map_h = game_info.map_size
        rows = np.clip(((y0 + centres * cell_h) * plane_shape[0] / map_h).astype(np.int64), 0, plane_shape[0] - 1)
        cols = np.clip(((x0 + centres * cell_w) * plane_shape[1] / map_w).astype(np.int64), 0, plane_shape[1] - 1)
        return Grid(s, float(x0), float(y0), cell_w, cell_h, rows, cols)

    def cell_to_point(self, cell: int, game_info: GameInfo) -> tuple[float, float]:
        """Cell index row * S + col -> the map point at the centre of that cell."""
        g = self.grid(game_info, tuple(game_info.map_size[::-1]))
        row, col = divmod(int(cell), self.spatial_size)
        return (g.x0 + (col + 0.5) * g.cell_w, g.y0 + (row + 0.5) * g.cell_h)

    def point_to_cell(self, x: np.ndarray, y: np.ndarray, game_info: GameInfo) -> np.ndarray:
        g = self.grid(game_info, tuple(game_info.map_size[::-1]))
        col = np.clip(((np.asarray(x) - g.x0) / g.cell_w).astype(np.int64), 0, self.spatial_size - 1)
        row = np.clip(((np.asarray(y) - g.y0) / g.cell_h).astype(np.int64), 0, self.spatial_size - 1)
        return row * self.spatial_size + col

    # ----- encoding -----------------------------------------------------------------
    def entity_rows(self, obs: Observation) -> np.ndarray:
        """Rows of obs.units that become entities 0..n-1: own, enemy, ally, neutral; capped."""
        alliance = np.clip(obs.units["alliance"].astype(np.int64), 0, len(_ALLIANCE_PRIORITY) - 1)
        order = np.argsort(_ALLIANCE_PRIORITY[alliance], kind="stable")
        return order[: self.max_entities]

    def encode(self, obs: Observation, game_info: GameInfo, last_action: Optional[Mapping[str, object]] = None) -> dict[str, np.ndarray]:
        """One observation -> a dict matching `shapes()`. `last_action`: the previous step's heads."""
        n = self.max_entities
        # Per-unit features are computed on the whole table (field views, no copies) and
        # the kept rows taken once at the end: cheaper than copying rows of the table.
        units = obs.units
        rows = self.entity_rows(obs)
        count = len(rows)
        type_index = np.zeros(n, dtype=np.int64)
        type_index[:count] = self.vocabulary.unit_types.index(units["unit_type"][rows])
        alliance = np.zeros(n, dtype=np.int64)
        alliance[:count] = np.clip(units["alliance"][rows], 0, 4)
        order = np.zeros(n, dtype=np.int64)
        order[:count] = self._order_index(units["order_ability_id"][rows, 0])
        scalars = np.zeros((n, ENTITY_SCALARS), dtype=np.float32)
        scalars[:count] = _entity_scalars(units, game_info)[rows]
        cell = np.zeros(n, dtype=np.int64)
        cell[:count] = self.point_to_cell(units["x"][rows], units["y"][rows], game_info)
        mask = np.zeros(n, dtype=bool)
        mask[:count] = True
        features = {
            "entity_type": type_index,
            "entity_alliance": alliance,
            "entity_order": order,
            "entity_scalars": scalars,
            "entity_cell": cell,
            "entity_mask": mask,
            "spatial": self._spatial(obs, game_info),
            "player_scalars": _player_scalars(obs.player, obs.game_loop, game_info),
            "upgrades": self._upgrades(obs.upgrades),
            "available_actions": self._available_actions(obs, type_index, alliance, mask),
            "last_action_type": np.asarray(_last(last_action, "action_type", self.num_actions), dtype=np.int64),
            "last_delay": np.asarray(_last(last_action, "delay", self.max_delay), dtype=np.int64),
        }
        if self.privileged_baseline:
            features["opponent_scalars"] = self._opponent_scalars(obs.opponent, game_info)
        return features

    def _order_index(self, ability_ids: np.ndarray) -> np.ndarray:
        ids = ability_ids.astype(np.int64)
        inside = (ids >= 0) & (ids < len(self._ability_to_order))
        return np.where(inside, self._ability_to_order[np.where(inside, ids, 0)], self.num_actions)

    def _upgrades(self, upgrade_ids: np.ndarray) -> np.ndarray:
        out = np.zeros(self.num_upgrades, dtype=np.float32)
        out[self.vocabulary.upgrades.index(upgrade_ids)] = 1.0
        return out

    def _available_actions(self, obs: Observation, type_index, alliance, mask) -> np.ndarray:
        """Action types the game offers AND some own kept entity can perform (no-op always)."""
        ids = np.asarray(obs.available_abilities, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._ability_to_actions))]
        offered = self._ability_to_actions[ids].any(axis=0)
        own = mask & (alliance == Alliance.Self)
        performable = self.unit_type_can_do[type_index[own]].any(axis=0)
        # Unit-targeted actions also need a unit they may target among the kept entities.
        targetable = (self.target_alliance_ok[:, alliance[mask]] & self.target_type_ok[type_index[mask]].T).any(axis=1)
        available = offered & performable & (~self._targets_unit | targetable)
        available[NO_OP] = True
        return available

    def _spatial(self, obs: Observation, game_info: GameInfo) -> np.ndarray:
        planes = obs.map
        g = self.grid(game_info, tuple(planes.height.shape))
        pick = np.ix_(g.plane_rows, g.plane_cols)
        visibility = planes.visibility[pick]
        return np.stack(
            [
                planes.height[pick].astype(np.float32) / 255.0,
                planes.pathable[pick].astype(np.float32),
                planes.placeable[pick].astype(np.float32),
                (visibility == 0).astype(np.float32),
                (visibility == 1).astype(np.float32),
                (visibility == 2).astype(np.float32),
                planes.creep[pick].astype(np.float32),
            ]
        )

    def _opponent_scalars(self, opponent: Optional[Observation], game_info: GameInfo) -> np.ndarray:
        """The privileged baseline's view: opponent's player scalars, upgrades, unit counts."""
        out = np.zeros(self.opponent_scalars_size, dtype=np.float32)
        if opponent is None:
            return out
        out[:PLAYER_SCALARS] = _player_scalars(opponent.player, opponent.game_loop, game_info)
        out[PLAYER_SCALARS : PLAYER_SCALARS + self.num_upgrades] = self._upgrades(opponent.upgrades)
        own = opponent.units[opponent.units["alliance"] == Alliance.Self]
        counts = np.bincount(self.vocabulary.unit_types.index(own["unit_type"]), minlength=self.num_unit_types)
        out[PLAYER_SCALARS + self.num_upgrades : -1] = np.log1p(counts)
        out[-1] = 1.0  # the opponent's observation was present
        return out


def _last(last_action: Optional[Mapping[str, object]], head: str, limit: int) -> int:
    if last_action is None:
        return 0
    value = int(np.asarray(last_action[head]).reshape(()))
    if not 0 <= value < limit:
        raise FeatureError(f"last_action[{head!r}] = {value} outside 0..{limit - 1}")
    return value


def _ratio(value: np.ndarray, maximum: np.ndarray) -> np.ndarray:
    return np.where(maximum > 0, value / np.maximum(maximum, 1e-6), 0.0)


def _entity_scalars(units: np.ndarray, game_info: GameInfo) -> np.ndarray:
    """Per-unit float features, each roughly in [0, 1] (ENTITY_SCALARS columns)."""
    (x0, y0), (x1, y1) = game_info.playable_min, game_info.playable_max
    cloak = units["cloak"]
    display = units["display_type"]
    has_order = units["order_ability_id"][:, 0] != 0
    columns = [
        (units["x"] - x0) / max(x1 - x0, 1),
        (units["y"] - y0) / max(y1 - y0, 1),
        units["z"] / 16.0,
        np.sin(units["facing"]),
        np.cos(units["facing"]),
        units["radius"] / 4.0,
        units["build_progress"],
        _ratio(units["health"], units["health_max"]),
        np.log1p(units["health_max"]) / 8.0,
        _ratio(units["shield"], units["shield_max"]),
        np.log1p(units["shield_max"]) / 8.0,
        _ratio(units["energy"], units["energy_max"]),
        units["energy_max"] / 200.0,
        units["is_flying"],
        units["is_burrowed"],
        units["is_hallucination"],
        units["is_powered"],
        units["is_active"],
        units["attack_upgrade_level"] / 3.0,
        units["armor_upgrade_level"] / 3.0,
        units["shield_upgrade_level"] / 3.0,
        np.minimum(units["weapon_cooldown"] / 32.0, 1.0),
        units["add_on_tag"] != 0,
        units["cargo_space_taken"] / 8.0,
        units["cargo_space_max"] / 8.0,
        units["assigned_harvesters"] / 16.0,
        units["ideal_harvesters"] / 16.0,
        units["mineral_contents"] / 1800.0,
        units["vespene_contents"] / 2250.0,
        units["order_count"] / 4.0,
        units["order_progress"][:, 0],
        has_order & (units["order_target_tag"][:, 0] != 0),
        units["buff_ids"][:, 0] != 0,
    ]
    columns += [cloak == k for k in range(5)] + [display == k for k in (1, 2, 3)]
    out = np.empty((len(units), len(columns)), dtype=np.float32)
    for i, column in enumerate(columns):
        out[:, i] = column
    return out


_RACES = 5


def _player_scalars(player: PlayerCommon, game_loop: int, game_info: GameInfo) -> np.ndarray:
    races = game_info.player_races
    own = int(races[player.player_id - 1]) if 0 < player.player_id <= len(races) else 0
    others = [int(r) for i, r in enumerate(races) if i != player.player_id - 1]
    race_hot = np.zeros(2 * _RACES, dtype=np.float32)
    race_hot[min(max(own, 0), _RACES - 1)] = 1.0
    race_hot[_RACES + min(max(others[0] if others else 0, 0), _RACES - 1)] = 1.0
    values = np.array(
        [
            player.minerals / 1000.0,
            player.vespene / 1000.0,
            np.log1p(player.minerals) / 8.0,
            np.log1p(player.vespene) / 8.0,
            player.food_used / 200.0,
            player.food_cap / 200.0,
            max(player.food_cap - player.food_used, 0) / 20.0,
            player.food_army / 200.0,
            player.food_workers / 100.0,
            player.idle_worker_count / 20.0,
            player.army_count / 100.0,
            player.warp_gate_count / 20.0,
            player.larva_count / 20.0,
            game_loop / 22400.0,  # ~16.7 game minutes
            np.log1p(game_loop) / 12.0,
            float(player.food_used >= player.food_cap),
        ],
        dtype=np.float32,
    )
    return np.concatenate([values, race_hot, time_encoding(game_loop)])


def time_encoding(game_loop: int) -> np.ndarray:
    """sin and cos of the game loop's phase in each of TIME_PERIODS (float32, 2 per period)."""
    phase = 2.0 * np.pi * game_loop / np.asarray(TIME_PERIODS)
    return np.concatenate([np.sin(phase), np.cos(phase)]).astype(np.float32)

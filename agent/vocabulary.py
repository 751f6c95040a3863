"""Id vocabularies of the real game: unit types, upgrades and ability remaps.

Read once from `sc2env/data/game_data.pb` (the ResponseData a real StarCraft II client
returned), so the ids we embed are exactly the game's `UnitTypeId` / `UpgradeId` /
`AbilityId` values on both backends. Every table has index 0 = "unknown": an id the
game data does not list (a newer game version, a map's custom unit) maps there instead
of crashing. Lookups are vectorised through dense id -> index arrays.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np

UNKNOWN_INDEX = 0

_GAME_DATA_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sc2env", "data", "game_data.pb")


class VocabularyError(ValueError):
    """The game data file is missing or a name we rely on is not in it."""


@dataclasses.dataclass(frozen=True)
class IdTable:
    """Game ids -> dense indices 1..n (0 = unknown), vectorised."""

    ids: tuple[int, ...]  # ids[i - 1] is the id at index i
    names: tuple[str, ...]
    _lookup: np.ndarray = dataclasses.field(repr=False, compare=False)

    @classmethod
    def build(cls, ids_and_names: list[tuple[int, str]]) -> "IdTable":
        ids_and_names = sorted(ids_and_names)
        ids = tuple(i for i, _ in ids_and_names)
        lookup = np.zeros(max(ids, default=0) + 1, dtype=np.int64)
        lookup[list(ids)] = np.arange(1, len(ids) + 1)
        return cls(ids=ids, names=tuple(n for _, n in ids_and_names), _lookup=lookup)

    @property
    def size(self) -> int:
        """Number of indices including the unknown slot."""
        return len(self.ids) + 1

    def index(self, ids: np.ndarray) -> np.ndarray:
        """Game ids (any int array) -> int64 indices; ids not in the table -> UNKNOWN_INDEX."""
        ids = np.asarray(ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self._lookup))
        return np.where(inside, self._lookup[np.where(inside, ids, 0)], UNKNOWN_INDEX)

    def index_of_name(self, name: str) -> int:
        try:
            return self.names.index(name) + 1
        except ValueError:
            raise VocabularyError(f"{name!r} is not in the game data's table") from None

    def id_of_name(self, name: str) -> int:
        return self.ids[self.index_of_name(name) - 1]


@dataclasses.dataclass(frozen=True)
class GameVocabulary:
    unit_types: IdTable  # every unit type the game data marks available (all races, neutral)
    upgrades: IdTable
    # Specific ability id -> general id (e.g. SCV gather 295 -> HarvestGather 3666); 0 if none.
    ability_remap: dict[int, int]
    unit_data: dict[int, object]  # unit_id -> UnitTypeData proto (weapons, speed, race)


@functools.lru_cache(maxsize=1)
def game_vocabulary(path: str = _GAME_DATA_PATH) -> GameVocabulary:
    from s2clientprotocol import sc2api_pb2

    try:
        with open(path, "rb") as f:
            data = sc2api_pb2.Response.FromString(f.read()).data
    except OSError as error:
        raise VocabularyError(f"cannot read the game data {path!r}: {error}") from None
    units = [(u.unit_id, u.name) for u in data.units if u.available and u.name]
    upgrades = [(u.upgrade_id, u.name) for u in data.upgrades if u.name]
    remap = {a.ability_id: a.remaps_to_ability_id for a in data.abilities if a.remaps_to_ability_id}
    return GameVocabulary(
        unit_types=IdTable.build(units),
        upgrades=IdTable.build(upgrades),
        ability_remap=remap,
        unit_data={u.unit_id: u for u in data.units if u.available},
    )

"""The game layer's data contract: what every backend produces and accepts.

Both the embedded engine and the real StarCraft II binary (through `sc2env.sc2api`)
produce exactly these types, so the agent never knows which one it plays. The fields
follow the SC2 API raw interface (s2clientprotocol raw.proto / sc2api.proto) and use
the real game's ids (UnitTypeId, AbilityId, UpgradeId, ActionResult), so a policy
trained on one backend reads the other.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Optional, Sequence

import numpy as np


class Race(enum.IntEnum):
    """SC2API_Protocol.Race values."""

    NoRace = 0
    Terran = 1
    Zerg = 2
    Protoss = 3
    Random = 4


class Difficulty(enum.IntEnum):
    """SC2API_Protocol.Difficulty values: the built-in bot ladder."""

    VeryEasy = 1
    Easy = 2
    Medium = 3
    MediumHard = 4
    Hard = 5
    Harder = 6
    VeryHard = 7
    CheatVision = 8
    CheatMoney = 9
    CheatInsane = 10

    @classmethod
    def parse(cls, name: str) -> "Difficulty":
        """Case-insensitive lookup ('easy', 'MediumHard', 'medium_hard')."""
        key = name.replace("_", "").replace("-", "").lower()
        for member in cls:
            if member.name.lower() == key:
                return member
        raise ValueError(f"unknown difficulty {name!r}; expected one of {[m.name for m in cls]}")


class Result(enum.IntEnum):
    """SC2API_Protocol.Result values, from one player's point of view."""

    Victory = 1
    Defeat = 2
    Tie = 3
    Undecided = 4


class Alliance(enum.IntEnum):
    """SC2API_Protocol.Alliance: relation of a unit's owner to the observer."""

    Self = 1
    Ally = 2
    Neutral = 3
    Enemy = 4


class DisplayType(enum.IntEnum):
    """SC2API_Protocol.DisplayType: Visible, Snapshot (structure under fog), Hidden."""

    Visible = 1
    Snapshot = 2
    Hidden = 3


class CloakState(enum.IntEnum):
    """SC2API_Protocol.CloakState."""

    CloakedUnknown = 0
    Cloaked = 1
    CloakedDetected = 2
    NotCloaked = 3
    CloakedAllied = 4


class StepType(enum.IntEnum):
    FIRST = 0
    MID = 1
    LAST = 2


# Fixed number of order slots kept per unit; the SC2 API reports the whole queue but
# everything past the first few is noise for learning and for the raw interface.
MAX_ORDERS = 4
# Fixed number of buff slots kept per unit.
MAX_BUFFS = 2
NO_TAG = 0

# One row per unit, shaped like SC2API_Protocol.Unit. Orders are stored in fixed
# slots: ability 0 marks an empty slot; the target is a point (x, y) or a unit tag.
UNIT_DTYPE = np.dtype(
    [
        ("tag", np.uint64),
        ("unit_type", np.int32),
        ("alliance", np.int8),
        ("owner", np.int8),
        ("display_type", np.int8),
        ("cloak", np.int8),
        ("x", np.float32),
        ("y", np.float32),
        ("z", np.float32),
        ("facing", np.float32),
        ("radius", np.float32),
        ("build_progress", np.float32),
        ("health", np.float32),
        ("health_max", np.float32),
        ("shield", np.float32),
        ("shield_max", np.float32),
        ("energy", np.float32),
        ("energy_max", np.float32),
        ("mineral_contents", np.int32),
        ("vespene_contents", np.int32),
        ("is_flying", np.bool_),
        ("is_burrowed", np.bool_),
        ("is_hallucination", np.bool_),
        ("is_powered", np.bool_),
        ("is_active", np.bool_),
        ("attack_upgrade_level", np.int8),
        ("armor_upgrade_level", np.int8),
        ("shield_upgrade_level", np.int8),
        ("weapon_cooldown", np.float32),
        ("add_on_tag", np.uint64),
        ("cargo_space_taken", np.int16),
        ("cargo_space_max", np.int16),
        ("assigned_harvesters", np.int16),
        ("ideal_harvesters", np.int16),
        ("engaged_target_tag", np.uint64),
        ("order_count", np.int16),
        ("order_ability_id", np.int32, (MAX_ORDERS,)),
        ("order_target_x", np.float32, (MAX_ORDERS,)),
        ("order_target_y", np.float32, (MAX_ORDERS,)),
        ("order_target_tag", np.uint64, (MAX_ORDERS,)),
        ("order_progress", np.float32, (MAX_ORDERS,)),
        ("buff_ids", np.int32, (MAX_BUFFS,)),
    ]
)


def empty_units(n: int = 0) -> np.ndarray:
    """A zero-filled unit table of n rows."""
    return np.zeros(n, dtype=UNIT_DTYPE)


@dataclasses.dataclass
class PlayerCommon:
    """SC2API_Protocol.PlayerCommon."""

    player_id: int = 0
    minerals: int = 0
    vespene: int = 0
    food_cap: int = 0
    food_used: int = 0
    food_army: int = 0
    food_workers: int = 0
    idle_worker_count: int = 0
    army_count: int = 0
    warp_gate_count: int = 0
    larva_count: int = 0


@dataclasses.dataclass
class ActionError:
    """One rejected command, like SC2API_Protocol.ActionError.

    `result` is an SC2API_Protocol.ActionResult value (error.proto), e.g. 9 for
    NotEnoughMinerals; `reason` is a human-readable explanation (not on the wire).
    """

    unit_tag: int
    ability_id: int
    result: int
    reason: str = ""


@dataclasses.dataclass
class MapPlanes:
    """Minimap layers, indexed [y, x] with y growing upward as in the SC2 API.

    height: uint8 terrain height; pathable / placeable: bool grids from GameInfo;
    visibility: uint8 0 = hidden, 1 = fogged (seen before), 2 = visible (the
    observer's fog of war); creep: bool.
    """

    height: np.ndarray
    pathable: np.ndarray
    placeable: np.ndarray
    visibility: np.ndarray
    creep: np.ndarray


@dataclasses.dataclass
class Effect:
    """SC2API_Protocol.Effect: an area effect (e.g. a scan) with its positions."""

    effect_id: int
    alliance: int
    owner: int
    radius: float
    positions: np.ndarray  # float32 [N, 2]


@dataclasses.dataclass
class Observation:
    """What one player observes after a step: the SC2 raw interface, as numpy.

    `units` is a structured array of UNIT_DTYPE: our own units, neutral units and the
    enemy units our units can see (plus snapshots of enemy structures seen before).
    `available_abilities` holds the ability ids at least one of our units can use
    right now (the raw interface's available-action set). `upgrades` holds completed
    UpgradeIds. `score` is the SC2 API's cumulative score (ScoreDetails.score).
    """

    game_loop: int
    player: PlayerCommon
    units: np.ndarray
    map: MapPlanes
    available_abilities: np.ndarray  # int32 [K]
    upgrades: np.ndarray  # int32 [U]
    action_errors: list[ActionError] = dataclasses.field(default_factory=list)
    effects: list[Effect] = dataclasses.field(default_factory=list)
    score: float = 0.0
    # Opponent's observation for a privileged baseline (AlphaStar); None unless the
    # environment is asked for it and can provide it (self-play, embedded engine).
    opponent: Optional["Observation"] = None

    def own_units(self) -> np.ndarray:
        return self.units[self.units["alliance"] == Alliance.Self]

    def enemy_units(self) -> np.ndarray:
        return self.units[self.units["alliance"] == Alliance.Enemy]

    def neutral_units(self) -> np.ndarray:
        return self.units[self.units["alliance"] == Alliance.Neutral]


@dataclasses.dataclass(frozen=True)
class RawCommand:
    """SC2API_Protocol.ActionRawUnitCommand: one ability used by some units.

    At most one of `target_point` (x, y) and `target_unit_tag` is set; neither means
    the ability needs no target (e.g. Stop, Train). `queued` appends to the orders.
    An action for one step is a list of RawCommands.
    """

    ability_id: int
    unit_tags: tuple[int, ...]
    target_point: Optional[tuple[float, float]] = None
    target_unit_tag: Optional[int] = None
    queued: bool = False

    def __post_init__(self) -> None:
        if self.target_point is not None and self.target_unit_tag is not None:
            raise ValueError("RawCommand takes a target point or a target unit, not both")
        object.__setattr__(self, "unit_tags", tuple(int(t) for t in self.unit_tags))


@dataclasses.dataclass(frozen=True)
class GameInfo:
    """SC2API_Protocol.ResponseGameInfo, the parts we use."""

    map_name: str
    map_size: tuple[int, int]  # (width, height) in cells
    playable_min: tuple[int, int]
    playable_max: tuple[int, int]
    start_locations: tuple[tuple[float, float], ...]  # enemy start candidates, per SC2
    player_races: tuple[Race, ...]


@dataclasses.dataclass
class TimeStep:
    """One player's view of one environment step (dm_env style)."""

    step_type: StepType
    reward: float
    discount: float
    observation: Observation
    # Set on the LAST step; Undecided otherwise.
    result: Result = Result.Undecided

    def first(self) -> bool:
        return self.step_type == StepType.FIRST

    def last(self) -> bool:
        return self.step_type == StepType.LAST


@dataclasses.dataclass(frozen=True)
class AgentPlayer:
    """A learning agent's seat in a game: it receives TimeSteps and sends actions."""

    race: Race = Race.Terran
    name: str = "agent"


@dataclasses.dataclass(frozen=True)
class BotPlayer:
    """A built-in bot's seat: the engine's scripted bots, or the real game's Computer."""

    race: Race = Race.Terran
    difficulty: Difficulty = Difficulty.Easy
    build: str = "RandomBuild"

    @property
    def name(self) -> str:
        return f"bot:{self.difficulty.name.lower()}"


Player = AgentPlayer | BotPlayer


def parse_player(spec: str) -> Player:
    """'agent', 'bot:easy', 'bot:hard:zerg' -> a player seat."""
    parts = spec.strip().split(":")
    if parts[0] == "agent":
        race = Race[parts[1].capitalize()] if len(parts) > 1 else Race.Terran
        return AgentPlayer(race=race)
    if parts[0] == "bot" and len(parts) >= 2:
        race = Race[parts[2].capitalize()] if len(parts) > 2 else Race.Terran
        return BotPlayer(race=race, difficulty=Difficulty.parse(parts[1]))
    raise ValueError(f"player spec {spec!r}: expected 'agent[:race]' or 'bot:<difficulty>[:race]'")


Action = Sequence[RawCommand]

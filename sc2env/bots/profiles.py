"""What each difficulty of the built-in bot ladder does differently, as data.

A level differs from the one below in real ways: how often it acts (reaction time), its
build order (one barracks -> two -> three -> four barracks of marines), how many SCVs it
makes, how early it builds supply depots, when and with how much it attacks (and how far
from home it defends), and its micro (target priority, focus fire on low-health targets,
regrouping the wave, retreat of a beaten army, defending from above the main's ramp), and at
the top +1 infantry weapons.
From MediumHard up the levels are marine armies that differ in timing, production and
micro: in this engine tech bought before the first fights (gas, add-ons, factory, an
expansion) was measured to leave a smaller army and lose to the simpler level below, and
so did waiting for a bigger army (bench/results/bot_ladder.md). The profile fields for
stim, siege tanks, add-ons, retreating hurt units and avoiding losing fights stay
available but no level uses them (Stim, Combat Shield and siege are not modelled by the
engine; the other two did not make a level measurably stronger). Terran only.
"""

from __future__ import annotations

import dataclasses

from sc2env.bots.ids import Unit, Upgrade
from sc2env.types import Difficulty


@dataclasses.dataclass(frozen=True)
class BuildStep:
    """Have `count` of `structure` once `food_used >= at_food` (steps run in order)."""

    structure: int
    count: int
    at_food: int = 0


@dataclasses.dataclass(frozen=True)
class BotProfile:
    name: str
    # Acts on one agent step in `act_every` (reaction time; 1 = every step).
    act_every: int
    build_order: tuple[BuildStep, ...]
    # Add-ons per production structure type, in order: e.g. (TechLab, Reactor, Reactor).
    barracks_addons: tuple[int, ...] = ()
    factory_addons: tuple[int, ...] = ()
    research: tuple[int, ...] = ()
    # Army composition: (unit type, weight); a building trains the most under-represented
    # type it can make.
    army_mix: tuple[tuple[int, float], ...] = ((Unit.Marine, 1.0),)
    # SCVs: keep training until `worker_target` (all townhalls together); gas workers per refinery.
    worker_target: int = 12
    workers_per_refinery: int = 3
    # Build a depot when food_cap - food_used <= depot_margin (0 = only when blocked).
    depot_margin: int = 2
    max_concurrent_depots: int = 1
    # Attack when the army holds `attack_supply` food (and not before `attack_loop`).
    attack_supply: int = 8
    attack_loop: int = 0
    # Go home when an attacking army falls below this fraction of `attack_supply`.
    retreat_fraction: float = 0.0
    # Micro.
    target_priority: bool = False  # shoot fighting units before workers before structures
    focus_fire: bool = False  # among those in range, shoot the lowest-health one
    retreat_damaged_below: float = 0.0  # pull back units under this health fraction in combat
    avoid_losing_fights: bool = False  # pull the army back when locally outgunned
    pull_workers: bool = False  # SCVs join the defence when the army alone is outgunned at home
    regroup: bool = False  # units far ahead of the army wait for it
    use_stim: bool = False
    siege_tanks: bool = False
    # Past the build order, add barracks while minerals pile up.
    extra_barracks: bool = False
    defend_radius: float = 18.0
    # Against enemies below the main, wait at the rally point above the ramp instead of going
    # down to meet them: they come up the ramp a few at a time into the whole army.
    hold_ramp: bool = False



D = Unit.SupplyDepot
B = Unit.Barracks
R = Unit.Refinery
E = Unit.EngineeringBay
F = Unit.Factory
CC = Unit.CommandCenter

PROFILES: dict[Difficulty, BotProfile] = {
    # Slow to react, one depot and one barracks, few SCVs, supply blocked often (the next
    # depot only once blocked), marines trickle out in small groups of 3 from minute 4 and
    # come home when down to one; SCVs defend the base when it has no army to.
    Difficulty.VeryEasy: BotProfile(
        name="VeryEasy",
        act_every=6,
        build_order=(BuildStep(D, 1, 13), BuildStep(B, 1, 13)),
        worker_target=13,
        depot_margin=0,
        attack_supply=3,
        attack_loop=22 * 60 * 4,
        retreat_fraction=0.5,
        pull_workers=True,
        defend_radius=10.0,
    ),
    # One barracks then a second, attacks in small waves, no micro.
    Difficulty.Easy: BotProfile(
        name="Easy",
        act_every=3,
        build_order=(BuildStep(D, 1, 13), BuildStep(B, 1, 14), BuildStep(B, 2, 19)),
        worker_target=16,
        depot_margin=1,
        attack_supply=6,
        attack_loop=22 * 60 * 4,
        retreat_fraction=0.0,
    ),
    # Two barracks early, steady SCVs, bigger waves, shoots fighting units first.
    Difficulty.Medium: BotProfile(
        name="Medium",
        extra_barracks=True,
        act_every=2,
        build_order=(BuildStep(D, 1, 13), BuildStep(B, 1, 14), BuildStep(B, 2, 16), BuildStep(B, 3, 22)),
        worker_target=19,
        depot_margin=3,
        attack_supply=12,
        retreat_fraction=0.35,
        target_priority=True,
        defend_radius=22.0,
    ),
    # Three barracks of marines straight away, focus fire on the weakest target in range,
    # the front waits for the army, attacks with a bigger wave.
    Difficulty.MediumHard: BotProfile(
        name="MediumHard",
        extra_barracks=True,
        act_every=1,
        build_order=(BuildStep(D, 1, 13), BuildStep(B, 1, 14), BuildStep(B, 2, 15), BuildStep(B, 3, 16)),
        worker_target=16,
        depot_margin=4,
        max_concurrent_depots=2,
        attack_supply=16,
        retreat_fraction=0.4,
        target_priority=True,
        focus_fire=True,
        regroup=True,
        defend_radius=24.0,
    ),
    # A timing attack on fewer SCVs: three barracks by 15 food on 14 SCVs (minerals go into
    # marines, not into more SCVs than one base mines well), a wave of 18 supply, then gas, an
    # engineering bay and +1 infantry weapons for the longer games. Its marines shoot the
    # nearest fighting unit in range (target priority) but do not focus the weakest one.
    Difficulty.Hard: BotProfile(
        name="Hard",
        extra_barracks=True,
        act_every=1,
        build_order=(
            BuildStep(D, 1, 13), BuildStep(B, 1, 13), BuildStep(B, 2, 14), BuildStep(B, 3, 15),
            BuildStep(R, 1, 46), BuildStep(E, 1, 48),
        ),
        research=(Upgrade.TerranInfantryWeaponsLevel1,),
        worker_target=14,
        depot_margin=4,
        max_concurrent_depots=2,
        attack_supply=18,
        retreat_fraction=0.4,
        target_priority=True,
        focus_fire=False,
        regroup=True,
        defend_radius=24.0,
    ),
    # Four barracks and focus fire, but no early wave: it defends from above its ramp (Hard's
    # 18-supply wave comes up it a few marines at a time) and attacks with 36 supply.
    Difficulty.Harder: BotProfile(
        name="Harder",
        extra_barracks=True,
        act_every=1,
        build_order=(
            BuildStep(D, 1, 13), BuildStep(B, 1, 13), BuildStep(B, 2, 14), BuildStep(B, 3, 15), BuildStep(B, 4, 16),
            BuildStep(R, 1, 46), BuildStep(E, 1, 48),
        ),
        research=(Upgrade.TerranInfantryWeaponsLevel1,),
        worker_target=14,
        depot_margin=4,
        max_concurrent_depots=2,
        attack_supply=36,
        retreat_fraction=0.4,
        target_priority=True,
        focus_fire=True,
        regroup=True,
        defend_radius=24.0,
        hold_ramp=True,
    ),
}
# VeryHard: Harder with faster reactions is not different enough to add; it maps to Harder.
PROFILES[Difficulty.VeryHard] = dataclasses.replace(PROFILES[Difficulty.Harder], name="VeryHard")


def profile_for(difficulty: Difficulty) -> BotProfile:
    try:
        return PROFILES[Difficulty(difficulty)]
    except KeyError:
        raise ValueError(
            f"no built-in bot for difficulty {Difficulty(difficulty).name}; "
            f"expected one of {[d.name for d in PROFILES]}"
        ) from None

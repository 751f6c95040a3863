"""Field-by-field comparison of Observations: how two backends (or a proto round trip) differ.

Observations hold numpy arrays, so `==` on the dataclass is not a usable equality; this
names every differing field instead, which is what a failing parity check needs to say.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sc2env.types import Observation


def _array_difference(name: str, a: np.ndarray, b: np.ndarray) -> list[str]:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return [f"{name}: dtype/shape {a.dtype}{a.shape} != {b.dtype}{b.shape}"]
    if a.dtype.names:
        out = []
        for field in a.dtype.names:
            out += _array_difference(f"{name}.{field}", a[field], b[field])
        return out
    if not np.array_equal(a, b):
        where = np.argwhere(a != b)
        return [f"{name}: {len(where)} cells differ, first at {tuple(where[0])}: {a[tuple(where[0])]!r} != {b[tuple(where[0])]!r}"]
    return []


def observation_differences(a: Observation, b: Observation, compare_reasons: bool = False) -> list[str]:
    """Every field where a and b differ ([] when equal). `opponent` is not compared.

    ActionError.reason is free text and not on the wire; it is compared only when asked.
    """
    out: list[str] = []
    if a.game_loop != b.game_loop:
        out.append(f"game_loop: {a.game_loop} != {b.game_loop}")
    if a.player != b.player:
        out.append(f"player: {a.player} != {b.player}")
    out += _array_difference("units", a.units, b.units)
    for field in dataclasses.fields(a.map):
        out += _array_difference(f"map.{field.name}", getattr(a.map, field.name), getattr(b.map, field.name))
    out += _array_difference("available_abilities", a.available_abilities, b.available_abilities)
    out += _array_difference("upgrades", a.upgrades, b.upgrades)
    errors_a = [(e.unit_tag, e.ability_id, e.result) + ((e.reason,) if compare_reasons else ()) for e in a.action_errors]
    errors_b = [(e.unit_tag, e.ability_id, e.result) + ((e.reason,) if compare_reasons else ()) for e in b.action_errors]
    if errors_a != errors_b:
        out.append(f"action_errors: {errors_a} != {errors_b}")
    if len(a.effects) != len(b.effects):
        out.append(f"effects: {len(a.effects)} != {len(b.effects)}")
    else:
        for i, (ea, eb) in enumerate(zip(a.effects, b.effects)):
            if (ea.effect_id, ea.alliance, ea.owner, np.float32(ea.radius)) != (
                eb.effect_id,
                eb.alliance,
                eb.owner,
                np.float32(eb.radius),
            ):
                out.append(f"effects[{i}]: {ea} != {eb}")
            out += _array_difference(
                f"effects[{i}].positions",
                np.asarray(ea.positions, np.float32).reshape(-1, 2),
                np.asarray(eb.positions, np.float32).reshape(-1, 2),
            )
    if a.score != b.score:
        out.append(f"score: {a.score} != {b.score}")
    return out

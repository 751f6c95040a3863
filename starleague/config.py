"""Configuration as typed data: one dataclass per component, presets, --set overrides.

A run's configuration is a `RunConfig`: one section per component, each section a
dataclass owned by that component's package. A preset is a named list of overrides
applied on top of the defaults; `--set key.sub=value` overrides are applied after the
preset and checked against the field's type. An unknown key or a value of the wrong
type raises ConfigError naming the key.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from typing import Any, Iterable, Mapping

from agent.model.config import ModelConfig
from agent.rl.config import RLConfig
from agent.runtime_config import ActorConfig, LearnerConfig
from league.config import LeagueConfig
from sc2env.env import EnvConfig


class ConfigError(ValueError):
    """A configuration key or value is wrong; the message names the key."""


@dataclasses.dataclass
class RunConfig:
    preset: str = "tiny"
    seed: int = 0
    run_dir: str = "runs/latest"
    env: EnvConfig = dataclasses.field(default_factory=EnvConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    rl: RLConfig = dataclasses.field(default_factory=RLConfig)
    learner: LearnerConfig = dataclasses.field(default_factory=LearnerConfig)
    actor: ActorConfig = dataclasses.field(default_factory=ActorConfig)
    league: LeagueConfig = dataclasses.field(default_factory=LeagueConfig)


# Presets are data: overrides on top of the dataclass defaults.
PRESETS: dict[str, dict[str, Any]] = {
    # Two CPU cores, CI and laptops: small model, short unrolls, few environments.
    "tiny": {
        "model.preset": "tiny",
        "learner.batch_size": 8,
        "learner.unroll_length": 32,
        "actor.num_actors": 2,
        "actor.envs_per_actor": 4,
        # The paper's 2e9 / 4e9 agent steps between snapshots, scaled to a laptop; a fifth
        # of the main agent's games against the built-in bots to see progress on the ladder.
        "league.snapshot_min_steps": 50_000,
        "league.snapshot_max_steps": 100_000,
        "league.main_bot_share": 0.2,
    },
    # A GPU cluster: AlphaStar-sized model, large batches, the paper's league.
    "full": {
        "model.preset": "alphastar",
        "model.max_entities": 512,
        "model.spatial_size": 128,
        "learner.batch_size": 512,
        "learner.unroll_length": 64,
        # Room for two batches: actors keep streaming while one batch trains.
        "learner.queue_capacity": 1024,
        "actor.num_actors": 256,
        "actor.envs_per_actor": 8,
        "league.main_agents": 3,
        "league.main_exploiters": 3,
        "league.league_exploiters": 6,
        "league.races": ["Terran", "Zerg", "Protoss"],
        "env.game_loop_limit": 22400 * 30,
    },
}


def _field_type(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls)[name]


def _coerce(key: str, value: Any, expected: Any) -> Any:
    """Convert `value` (a string from the command line, or a preset value) to `expected`."""
    origin = typing.get_origin(expected)
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{key}: expected a bool (true/false), got {value!r}")
    if expected is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected an int, got {value!r}")
        if isinstance(value, int):
            return value
        try:
            return int(str(value), 0)
        except ValueError:
            raise ConfigError(f"{key}: expected an int, got {value!r}") from None
    if expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value))
        except ValueError:
            raise ConfigError(f"{key}: expected a float, got {value!r}") from None
    if expected is str:
        return str(value)
    if origin in (list, tuple):
        (item_type, *_) = typing.get_args(expected) or (str,)
        items = value if isinstance(value, (list, tuple)) else [v for v in str(value).split(",") if v]
        coerced = [_coerce(key, item, item_type) for item in items]
        return coerced if origin is list else tuple(coerced)
    raise ConfigError(f"{key}: fields of type {expected!r} cannot be set from the command line")


def set_value(config: Any, key: str, value: Any) -> None:
    """Set `key` ('learner.batch_size') on a nested dataclass, type-checked."""
    parts = key.split(".")
    target = config
    for depth, part in enumerate(parts):
        if not dataclasses.is_dataclass(target):
            raise ConfigError(f"unknown config key {key!r}: {'.'.join(parts[:depth])} is not a section")
        names = {f.name for f in dataclasses.fields(target)}
        if part not in names:
            where = ".".join(parts[:depth]) or "the top level"
            raise ConfigError(f"unknown config key {key!r}: no field {part!r} in {where} (known: {sorted(names)})")
        if depth == len(parts) - 1:
            expected = _field_type(type(target), part)
            if dataclasses.is_dataclass(expected):
                raise ConfigError(f"config key {key!r} is a section; set one of its fields")
            setattr(target, part, _coerce(key, value, expected))
        else:
            target = getattr(target, part)


def parse_overrides(items: Iterable[str]) -> list[tuple[str, str]]:
    """['a.b=1', ...] -> [('a.b', '1'), ...]"""
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected key.sub=value")
        pairs.append((key.strip(), value.strip()))
    return pairs


def build_config(preset: str = "tiny", overrides: Iterable[str] = ()) -> RunConfig:
    """Defaults, then the preset, then `--set` overrides."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known presets: {sorted(PRESETS)}")
    config = RunConfig(preset=preset)
    for key, value in PRESETS[preset].items():
        set_value(config, key, value)
    for key, value in parse_overrides(overrides):
        set_value(config, key, value)
    return config


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(data: Mapping[str, Any], cls: type = RunConfig) -> Any:
    """Rebuild a config from `to_dict` output (e.g. a saved config.json), type-checked."""
    config = cls()
    _apply_dict(config, data, prefix="")
    return config


def _apply_dict(root: Any, data: Mapping[str, Any], prefix: str) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _apply_dict(root, value, prefix=f"{path}.")
        else:
            set_value(root, path, value)


def format_config(config: Any) -> str:
    """The resolved config, one `key = value` per line, for the start of every run."""
    lines: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{field.name}.")
            else:
                lines.append(f"{prefix}{field.name} = {value!r}")

    walk(config, "")
    return "\n".join(lines)


def save_config(config: Any, directory: str) -> str:
    """Write config.json into `directory` atomically; returns its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "config.json")
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(to_dict(config), f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path


def load_config(path: str) -> RunConfig:
    with open(path) as f:
        return from_dict(json.load(f))

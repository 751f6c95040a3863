"""Presets resolve into complete configs; overrides win; `starleague model` reports real numbers."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from agent.model import MODEL_PRESETS, ModelConfig, build_policy, preset_config, resolve_model_config
from agent.model.measure import parameter_counts
from agent.model.presets import ModelConfigError
from starleague.cli import main
from starleague.config import build_config


def test_every_preset_resolves_to_positive_sizes():
    for name in MODEL_PRESETS:
        config = preset_config(name)
        assert all(getattr(config, f.name) > 0 for f in dataclasses.fields(config) if f.type is int)
    alphastar = preset_config("alphastar")
    assert (alphastar.transformer_layers, alphastar.transformer_heads, alphastar.entity_dim) == (3, 2, 256)
    assert (alphastar.lstm_layers, alphastar.lstm_hidden, alphastar.max_entities) == (3, 384, 512)


def test_explicit_fields_win_over_the_preset_and_bad_values_are_refused():
    config = resolve_model_config(ModelConfig(preset="base", lstm_hidden=99))
    assert config.lstm_hidden == 99 and config.entity_dim == MODEL_PRESETS["base"]["entity_dim"]
    with pytest.raises(ModelConfigError, match="unknown model preset"):
        resolve_model_config(ModelConfig(preset="huge"))
    with pytest.raises(ModelConfigError, match="divisible"):
        resolve_model_config(ModelConfig(entity_dim=30, transformer_heads=4))
    with pytest.raises(ModelConfigError, match="spatial_size"):
        resolve_model_config(ModelConfig(spatial_size=30))


def test_run_config_model_section_builds_a_policy():
    config = build_config("tiny").model
    policy = build_policy(config)
    counts = parameter_counts(policy)
    assert counts["total"] == sum(p.numel() for p in policy.parameters()) > 0
    assert set(counts) == {"entity_encoder", "spatial_encoder", "scalar_encoder", "core", "heads", "baseline", "total"}
    assert build_config("full").model.preset == "alphastar"


def test_model_command_prints_parameters_and_rates(capsys):
    torch.manual_seed(0)
    assert main(["model", "--preset", "tiny", "--batch", "1,2", "--seconds", "0.05", "--set", "max_entities=32"]) == 0
    out = capsys.readouterr().out
    assert "max_entities=32" in out and "total" in out and "batch   2:" in out and "steps/s" in out
    assert main(["model", "--preset", "tiny", "--set", "spatial_size=30"]) == 2

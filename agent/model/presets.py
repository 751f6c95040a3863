"""Model size presets: `tiny` (2 CPU cores), `base`, `alphastar` (the published agent).

`alphastar` follows Vinyals et al. 2019 (Nature 575, "Grandmaster level in StarCraft II
using multi-agent reinforcement learning"), Methods / supplementary "Architecture":
up to 512 entities through a 3-layer transformer with 2 heads and 256-d embeddings
(feed-forward 1024); 128x128 minimap planes downsampled 3 times to 16x16 with 128
channels and 4 residual blocks; a 3-layer LSTM core of 384 units; a 1024-d
autoregressive embedding; action-type head of 16 residual blocks of 256 units; 128
delay choices; up to 64 selected units with 32-d pointer keys.
"""

from __future__ import annotations

import dataclasses

from agent.model.config import ModelConfig

MODEL_PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(
        max_selected_units=4, max_delay=16,
        entity_dim=64, transformer_layers=1, transformer_heads=2, transformer_ff=128,
        spatial_channels=16, spatial_downsamples=2, spatial_res_blocks=1,
        scalar_dim=64, lstm_layers=1, lstm_hidden=128,
        autoregressive_dim=128, head_hidden=64, head_res_blocks=1, pointer_dim=32,
    ),
    "base": dict(
        max_selected_units=16, max_delay=32,
        entity_dim=128, transformer_layers=2, transformer_heads=4, transformer_ff=256,
        spatial_channels=64, spatial_downsamples=2, spatial_res_blocks=2,
        scalar_dim=128, lstm_layers=2, lstm_hidden=256,
        autoregressive_dim=256, head_hidden=128, head_res_blocks=2, pointer_dim=32,
    ),
    "alphastar": dict(
        max_selected_units=64, max_delay=128,
        entity_dim=256, transformer_layers=3, transformer_heads=2, transformer_ff=1024,
        spatial_channels=128, spatial_downsamples=3, spatial_res_blocks=4,
        scalar_dim=256, lstm_layers=3, lstm_hidden=384,
        autoregressive_dim=1024, head_hidden=256, head_res_blocks=16, pointer_dim=32,
    ),
}

# The input sizes each preset is meant for (and measured at by `starleague model` and bench).
PRESET_INPUT_SIZES: dict[str, dict[str, int]] = {
    "tiny": dict(max_entities=128, spatial_size=32),
    "base": dict(max_entities=256, spatial_size=64),
    "alphastar": dict(max_entities=512, spatial_size=128),
}


class ModelConfigError(ValueError):
    """A model config names an unknown preset or holds an impossible size."""


def resolve_model_config(config: ModelConfig) -> ModelConfig:
    """A copy of `config` with every 0 ("preset's value") field filled from its preset."""
    if config.preset not in MODEL_PRESETS:
        raise ModelConfigError(f"unknown model preset {config.preset!r}; known: {sorted(MODEL_PRESETS)}")
    values = {k: (v if getattr(config, k) == 0 else getattr(config, k)) for k, v in MODEL_PRESETS[config.preset].items()}
    resolved = dataclasses.replace(config, **values)
    if resolved.entity_dim % resolved.transformer_heads:
        raise ModelConfigError(f"entity_dim {resolved.entity_dim} is not divisible by transformer_heads {resolved.transformer_heads}")
    if resolved.spatial_size % (2**resolved.spatial_downsamples):
        raise ModelConfigError(
            f"spatial_size {resolved.spatial_size} is not divisible by 2**spatial_downsamples ({2**resolved.spatial_downsamples})"
        )
    for field in dataclasses.fields(resolved):
        value = getattr(resolved, field.name)
        if field.type in (int, "int") and value <= 0:
            raise ModelConfigError(f"model.{field.name} must be positive, got {value}")
    return resolved


def preset_config(name: str, **overrides) -> ModelConfig:
    """The full config of a preset at its intended input sizes (for the CLI and benches)."""
    if name not in MODEL_PRESETS:
        raise ModelConfigError(f"unknown model preset {name!r}; known: {sorted(MODEL_PRESETS)}")
    return resolve_model_config(ModelConfig(preset=name, **{**PRESET_INPUT_SIZES[name], **overrides}))

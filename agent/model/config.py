"""Model size and switches; presets in agent.model.presets pick these values.

Network-size fields default to 0, meaning "the preset's value" (`resolve_model_config`
fills them from `agent.model.presets.MODEL_PRESETS[preset]`); a nonzero value, e.g. from
`--set model.lstm_hidden=512`, wins over the preset. `max_entities` and `spatial_size`
are the input sizes and are always explicit.
"""

import dataclasses


@dataclasses.dataclass
class ModelConfig:
    preset: str = "tiny"
    max_entities: int = 128
    # Spatial resolution the playable area is resampled to (and the target-location grid).
    spatial_size: int = 32
    # The baseline may read the opponent's observation in self-play (AlphaStar).
    privileged_baseline: bool = False
    # --- 0 = take the preset's value ---
    # Action space.
    max_selected_units: int = 0  # units one action may select (AlphaStar: 64)
    max_delay: int = 0  # delay head choices (AlphaStar: 128)
    # Entity encoder (transformer).
    entity_dim: int = 0
    transformer_layers: int = 0
    transformer_heads: int = 0
    transformer_ff: int = 0
    # Spatial encoder: stride-2 downsamples from spatial_size, channels at the end, res blocks.
    spatial_channels: int = 0
    spatial_downsamples: int = 0
    spatial_res_blocks: int = 0
    # Scalar encoder and the sizes of the pooled embeddings fed to the core.
    scalar_dim: int = 0
    # LSTM core.
    lstm_layers: int = 0
    lstm_hidden: int = 0
    # Heads: autoregressive embedding, residual MLP width/depth, pointer key size.
    autoregressive_dim: int = 0
    head_hidden: int = 0
    head_res_blocks: int = 0
    pointer_dim: int = 0

"""Model size and switches; presets in agent.model.presets pick these values."""

import dataclasses


@dataclasses.dataclass
class ModelConfig:
    preset: str = "tiny"
    max_entities: int = 128
    # Spatial resolution the map planes are resized to.
    spatial_size: int = 32
    # The baseline may read the opponent's observation in self-play (AlphaStar).
    privileged_baseline: bool = False

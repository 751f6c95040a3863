"""SC2 API: the real StarCraft II over its websocket protocol, and the embedded engine served the same way.

Layers, each usable alone (like pysc2's): `paths` (where the game is) -> `process` (start and
always stop SC2_x64) -> `client` (one method per request, SC2ApiError on failure) ->
`environment` (SC2ApiEnv, the sc2env.env.Env interface). `conversion` is the only bridge
between protos and sc2env.types. `server` serves the embedded engine over the same protocol
and `shim` makes a fake SC2PATH that starts it.
"""

from sc2env.sc2api.conversion import (
    ConversionError,
    action_to_proto,
    command_from_proto,
    command_to_proto,
    commands_from_action,
    game_info_from_proto,
    game_info_to_proto,
    observation_from_proto,
    observation_to_proto,
    results_from_proto,
)
from sc2env.sc2api.errors import SC2ApiError

__all__ = [
    "ConversionError",
    "SC2ApiError",
    "action_to_proto",
    "command_from_proto",
    "command_to_proto",
    "commands_from_action",
    "game_info_from_proto",
    "game_info_to_proto",
    "observation_from_proto",
    "observation_to_proto",
    "results_from_proto",
]

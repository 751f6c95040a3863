"""The game layer: embedded engine, SC2 API client and server, one env interface.

Importing this package applies the pysc2 / s2clientprotocol compatibility fix
(sc2env.pysc2_compat) so the SC2 API modules load under the fast protobuf.
"""

from sc2env import pysc2_compat as _pysc2_compat

_pysc2_compat.install()

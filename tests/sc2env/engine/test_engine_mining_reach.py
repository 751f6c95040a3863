"""Every mineral field of both Simple64 mains gets mined by an SCV sent to it (none stands
wedged forever against a neighbouring field), on both sides of the map."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.engine import state as S
from sc2env.engine.game import Game
from sc2env.engine.maps import melee_map
from sc2env.types import RawCommand

GATHER = 295


def _fields_and_scv(game: Game, player: int):
    st = game.state
    home = melee_map("Simple64").start_locations[player - 1]
    names = game.types.names
    live = np.flatnonzero(st.it[S.ALIVE] == 1)
    fields = [int(i) for i in live if names[st.it[S.TYPE, i]].startswith("MineralField")
              and np.hypot(st.fl[S.X, i] - home[0], st.fl[S.Y, i] - home[1]) < 12]
    scv = next(int(i) for i in live if st.it[S.OWNER, i] == player and names[st.it[S.TYPE, i]] == "SCV")
    return fields, scv


@pytest.mark.parametrize("player", [1, 2])
def test_an_scv_sent_to_any_main_mineral_field_mines(player):
    fields, _ = _fields_and_scv(Game(melee_map("Simple64"), seed=0, melee=True, game_loop_limit=0), player)
    assert len(fields) == 8
    for k in range(len(fields)):
        game = Game(melee_map("Simple64"), seed=0, melee=True, game_loop_limit=0)
        fields, scv = _fields_and_scv(game, player)
        game.command(player, RawCommand(GATHER, (game.tag(scv),), target_unit_tag=game.tag(fields[k])))
        game.step(800)
        assert game.state.pl[S.P_MINED_MINERALS, player] >= 20, f"field {k} of player {player} never mined"

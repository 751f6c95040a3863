"""Harder defends its main from above the ramp: enemies below it are awaited at the rally
point, not met on the low ground (bench/results/bot_ladder.md: this is what lifts Harder over
Hard's early wave)."""

from __future__ import annotations

import dataclasses

from sc2env.bots.profiles import profile_for
from sc2env.bots.terran import TerranBot
from sc2env.engine.game import Game
from sc2env.types import Difficulty

MARINE, ATTACK = 48, 3674  # Attack (the general ability the raw interface reports)


def _defence_goals(profile, enemy_at):
    """Player 1 (main on the high ground of Simple64's lower left) with 8 marines at its rally
    point and 3 enemy marines at `enemy_at`: the points its marines are sent to."""
    game = Game.melee_game("Simple64", seed=0, game_loop_limit=0)
    bot = TerranBot(profile, seed=0)
    bot.act(game.observe(1), game.game_info(1))  # first look: home, rally, the map's heights
    for k in range(8):
        game.add_unit(MARINE, 1, bot.rally[0] - 1.0 + 0.7 * (k % 4), bot.rally[1] - 0.5 + 0.9 * (k // 4))
    for k in range(3):
        game.add_unit(MARINE, 2, enemy_at[0] + 0.8 * k, enemy_at[1])
    game._update_visibility()
    commands = bot.act(game.observe(1), game.game_info(1))
    return bot, {c.target_point for c in commands if c.ability_id == ATTACK and c.target_point is not None
                 and len(c.unit_tags) >= 3}


def test_enemies_below_the_ramp_are_awaited_above_it():
    harder = profile_for(Difficulty.Harder)
    assert harder.hold_ramp
    below = (29.0, 24.0)  # on the low ground outside player 1's ramp (x = 26, y 18..22)
    bot, goals = _defence_goals(harder, below)
    assert bot.on_home_level(bot.rally) and not bot.on_home_level(below)
    assert goals == {(round(bot.rally[0], 1), round(bot.rally[1], 1))}
    # Without the rule the army walks down to the enemy.
    _, goals = _defence_goals(dataclasses.replace(harder, hold_ramp=False), below)
    assert len(goals) == 1 and abs(next(iter(goals))[0] - below[0]) < 1.0
    # An enemy already up in the main is attacked where it stands.
    inside = (10.0, 22.0)  # on the high ground, out of the marines' range
    _, goals = _defence_goals(harder, inside)
    assert len(goals) == 1 and abs(next(iter(goals))[1] - inside[1]) < 1.0

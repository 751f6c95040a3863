"""Built-in scripted bots: the SC2 API difficulty ladder, played from a bot's own observation.

    bot = make_bot(BotPlayer(Race.Terran, Difficulty.Hard), seed=7)
    commands = bot.act(observation, game_info)   # list[RawCommand], real AbilityIds

Levels VeryEasy, Easy, Medium, MediumHard, Hard, Harder (VeryHard plays as Harder) differ
in build order, economy, attack timing and micro (sc2env/bots/profiles.py). Terran only.
Same seed and same observations -> same commands.
"""

from __future__ import annotations

from typing import Protocol

from sc2env.bots.profiles import PROFILES, BotProfile, profile_for
from sc2env.bots.terran import TerranBot
from sc2env.types import BotPlayer, GameInfo, Observation, Race, RawCommand


class BotError(ValueError):
    """A bot that cannot be made (unsupported race or difficulty)."""


class Bot(Protocol):
    def act(self, obs: Observation, game_info: GameInfo) -> list[RawCommand]: ...

    def reset(self) -> None: ...


def make_bot(player: BotPlayer, seed: int) -> Bot:
    """The built-in bot for a seat; `seed` drives its few random choices."""
    if player.race not in (Race.Terran, Race.Random):
        raise BotError(f"built-in bots play Terran only, not {Race(player.race).name}; use race=Terran")
    try:
        profile = profile_for(player.difficulty)
    except ValueError as error:
        raise BotError(str(error)) from None
    return TerranBot(profile, seed)


__all__ = ["Bot", "BotError", "BotProfile", "PROFILES", "TerranBot", "make_bot"]

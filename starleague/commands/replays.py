"""`starleague replays`: list, watch and inspect replays of league and eval games."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("replays", help="list, watch and inspect game replays")
    sub = parser.add_subparsers(dest="replays_command", metavar="ACTION")
    sub.required = True

    info = sub.add_parser("info", help="read a real StarCraft II .SC2Replay without the game")
    info.add_argument("file", help="path to a .SC2Replay file")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(func=run_info)


def run_info(args: argparse.Namespace) -> int:
    from sc2env.sc2replay import SC2ReplayError, read_replay_info

    try:
        info = read_replay_info(args.file)
    except SC2ReplayError as error:
        print(f"error: {error}")
        return 2
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
        return 0
    minutes, seconds = divmod(info.duration_seconds, 60)
    print(f"file:      {info.path}")
    print(f"version:   {info.game_version} (base build {info.base_build})")
    print(f"map:       {info.map_name}")
    print(f"duration:  {info.game_loops} game loops, {int(minutes)}:{seconds:04.1f} at {info.game_speed}")
    print(f"{'player':<28} {'race':<10} {'control':<9} result")
    for player in info.players:
        print(f"{player.name:<28} {player.race:<10} {player.control:<9} {player.result}")
    return 0

"""`starleague replays`: list, watch and inspect replays of league and eval games."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import time
import webbrowser

DEFAULT_STORE = os.path.join("runs", "latest", "league", "league.sqlite")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("replays", help="list, watch and inspect game replays")
    sub = parser.add_subparsers(dest="replays_command", metavar="ACTION")
    sub.required = True

    listing = sub.add_parser("list", help="replays indexed in the league store, newest first")
    listing.add_argument("--store", default=DEFAULT_STORE, help=f"league SQLite store (default {DEFAULT_STORE})")
    listing.add_argument("--player", help="only games of this player (e.g. main_0 or main_0@12)")
    listing.add_argument("--vs", help="only games against this opponent (e.g. bot:easy)")
    listing.add_argument("--result", choices=["win", "draw", "loss"], help="from --player's side (else the home player's)")
    listing.add_argument("--since", help="ISO date/time, or an age like 30m, 6h, 2d")
    listing.add_argument("--map", help="only games on this map")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=run_list)

    watch = sub.add_parser("watch", help="watch a replay: HTML viewer (embedded engine) or the SC2 client (.SC2Replay)")
    watch.add_argument("replay", metavar="ID_OR_FILE", help="a replay file, or a match id from `replays list`")
    watch.add_argument("--store", default=DEFAULT_STORE, help="league store that resolves match ids")
    watch.add_argument("--out", help="where to write the viewer or video (default: next to the replay)")
    watch.add_argument("--every", type=int, default=2, help="keep every N-th agent step in the viewer")
    video = watch.add_mutually_exclusive_group()
    video.add_argument("--gif", action="store_true", help="export an animated GIF instead of the HTML viewer")
    video.add_argument("--mp4", action="store_true", help="export an MP4 video (needs imageio-ffmpeg)")
    watch.add_argument("--no-open", action="store_true", help="do not open the viewer in a browser")
    watch.set_defaults(func=run_watch)

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


def _since(text: str) -> float:
    age = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", text.strip())
    if age:
        return time.time() - float(age.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[age.group(2)]
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise SystemExit(f"--since {text!r}: expected an ISO date/time or an age like 30m, 6h, 2d") from None


_FLIP = {"win": "loss", "loss": "win", "draw": "draw"}


def run_list(args: argparse.Namespace) -> int:
    from league.store import LeagueStore

    if not os.path.isfile(args.store):
        print(f"error: no league store at {args.store} (pass --store)")
        return 2
    since = _since(args.since) if args.since else None
    with LeagueStore(args.store) as store:
        matches = [m for m in store.matches(reported=True) if m.replay_path]
    rows = []
    for m in reversed(matches):
        home, away, outcome = m.player_id, m.opponent_id, m.outcome
        if args.player and args.player not in (home, away):
            continue
        if args.player == away:  # show the game from --player's side
            home, away, outcome = away, home, _FLIP[outcome]
        if args.vs and args.vs != away:
            continue
        if args.result and args.result != outcome:
            continue
        if since is not None and (m.reported_at or 0) < since:
            continue
        if args.map and args.map != m.map:
            continue
        rows.append((m, home, away, outcome))
    print(f"{'match id':<40} {'player':<14} {'vs':<14} {'result':<6} {'map':<12} {'loops':>7} {'reported':<19} replay")
    for m, home, away, outcome in rows[: args.limit]:
        when = datetime.datetime.fromtimestamp(m.reported_at or 0).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{m.match_id:<40} {home:<14} {away:<14} {outcome:<6} {m.map:<12} {m.game_loops or 0:>7} {when:<19} "
              f"{m.replay_path}")
    print(f"{len(rows)} replay(s)" + (f", {args.limit} shown" if len(rows) > args.limit else ""))
    return 0


def _resolve_replay(ref: str, store_path: str) -> str:
    if os.path.isfile(ref):
        return ref
    if os.path.isfile(store_path):
        from league.store import LeagueStore

        with LeagueStore(store_path) as store:
            match = store.match(ref)
        if match is not None:
            if not match.replay_path:
                raise SystemExit(f"error: match {ref} has no saved replay")
            return match.replay_path
    raise SystemExit(f"error: {ref!r} is neither a replay file nor a match id in {store_path}")


def run_watch(args: argparse.Namespace) -> int:
    path = _resolve_replay(args.replay, args.store)
    with open(path, "rb") as f:
        head = f.read(32)
    if head.startswith(b"MPQ"):
        return _watch_sc2replay(path)
    from sc2env.replay import ReplayError, viewer_game_from_replay

    try:
        game = viewer_game_from_replay(path, every=max(1, args.every))
    except ReplayError as error:
        print(f"error: {error}")
        return 2
    stem = os.path.splitext(args.out or path)[0]
    if args.gif or args.mp4:
        from sc2env.replay_video import write_video

        out = write_video(game, stem + (".gif" if args.gif else ".mp4"))
        print(f"video: {out}")
        return 0
    from sc2env.replay_viewer import write_viewer

    out = write_viewer(game, args.out if args.out and args.out.endswith(".html") else stem + ".html")
    print(f"viewer: {out}")
    if not args.no_open and _has_browser():
        webbrowser.open(f"file://{os.path.abspath(out)}")
    return 0


def _has_browser() -> bool:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.name == "nt"
            or shutil.which("open")):
        return False
    try:
        webbrowser.get()
        return True
    except webbrowser.Error:
        return False


def _watch_sc2replay(path: str) -> int:
    """A real replay: hand it to the StarCraft II client through pysc2, when there is one."""
    from sc2env.sc2api.errors import SC2ApiError
    from sc2env.sc2api.paths import find_install

    try:
        find_install()
    except SC2ApiError as error:
        print(f"{path} is a real StarCraft II replay, but no StarCraft II is installed here: {error}\n"
              "Read its metadata with `starleague replays info FILE`, or install the game and set SC2PATH.")
        return 2
    import sys

    return subprocess.call([sys.executable, "-m", "pysc2.bin.play", "--replay", os.path.abspath(path)])

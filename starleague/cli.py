"""The `starleague` command line.

Each subcommand lives in its own module under starleague/commands/ and exposes
`register(subparsers)`, which adds its parser and sets `func` (called with the parsed
args; returns the exit code). Modules are discovered, so adding a subcommand means
adding one file. A subcommand exists only when it does real work.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from starleague import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="starleague",
        description="StarCraft II self-play league: train, play, evaluate and watch.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"starleague.commands.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

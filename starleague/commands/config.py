"""`starleague config`: print the resolved configuration of a preset plus overrides."""

from __future__ import annotations

import argparse
import json

from starleague.commands._common import add_config_arguments
from starleague.config import ConfigError, build_config, format_config, to_dict


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="print the resolved config of a preset with overrides")
    add_config_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = build_config(args.preset, args.overrides)
    except ConfigError as error:
        print(f"config error: {error}")
        return 2
    if args.run_dir:
        config.run_dir = args.run_dir
    print(json.dumps(to_dict(config), indent=2) if args.json else format_config(config))
    return 0

"""Arguments shared by the subcommands that run something from a config."""

from __future__ import annotations

import argparse

from starleague.config import PRESETS, ConfigError, RunConfig, build_config, format_config, save_config


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="named configuration preset")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config field, e.g. --set learner.batch_size=16 (repeatable)",
    )
    parser.add_argument("--run-dir", default=None, help="where outputs go (default: config run_dir)")


def resolve_config(args: argparse.Namespace, save: bool = True) -> RunConfig:
    """Build the config from --preset/--set, print it, and save it beside the outputs."""
    try:
        config = build_config(args.preset, args.overrides)
    except ConfigError as error:
        raise SystemExit(f"config error: {error}") from None
    if getattr(args, "run_dir", None):
        config.run_dir = args.run_dir
    print("resolved config:")
    print("  " + format_config(config).replace("\n", "\n  "))
    if save:
        path = save_config(config, config.run_dir)
        print(f"config saved to {path}")
    return config

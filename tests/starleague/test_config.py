import json
import subprocess
import sys

import pytest

from starleague.config import ConfigError, RunConfig, build_config, from_dict, load_config, save_config, to_dict


def test_presets_apply_on_top_of_defaults():
    tiny = build_config("tiny")
    full = build_config("full")
    assert tiny.model.preset == "tiny"
    assert full.model.preset == "alphastar"
    assert full.learner.batch_size > tiny.learner.batch_size
    for config in (tiny, full):  # the learner refuses a batch larger than its queue
        assert config.learner.batch_size <= config.learner.queue_capacity


def test_overrides_are_type_checked():
    config = build_config("tiny", ["learner.batch_size=16", "rl.discount=0.9", "model.privileged_baseline=true"])
    assert config.learner.batch_size == 16
    assert config.rl.discount == pytest.approx(0.9)
    assert config.model.privileged_baseline is True


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("learner.batchsize=3", "learner.batchsize"),
        ("nosuch.key=1", "nosuch"),
        ("learner.batch_size=many", "learner.batch_size"),
        ("model.privileged_baseline=maybe", "model.privileged_baseline"),
        ("learner=3", "learner"),
        ("no_equals_sign", "no_equals_sign"),
    ],
)
def test_bad_overrides_name_the_key(override, fragment):
    with pytest.raises(ConfigError, match=fragment):
        build_config("tiny", [override])


def test_unknown_preset_is_an_error():
    with pytest.raises(ConfigError, match="nosuch"):
        build_config("nosuch")


def test_saved_config_round_trips(tmp_path):
    config = build_config("full", ["seed=5"])
    path = save_config(config, str(tmp_path))
    assert load_config(path) == config
    assert from_dict(json.loads(open(path).read())) == config
    assert to_dict(RunConfig()) == to_dict(from_dict(to_dict(RunConfig())))


def _subcommand_parsers(parser):
    """(name, parser) for every subcommand and nested sub-subcommand."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                for nested, subsub in _subcommand_parsers(sub):
                    yield f"{name} {nested}", subsub


def test_cli_help_on_every_subcommand(capsys):
    from starleague.cli import build_parser

    parser = build_parser()
    names = [name for name, _ in _subcommand_parsers(parser)]
    assert {"config", "train", "eval", "replays list", "league standings"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args([*name.split(), "--help"])
        assert exit_info.value.code == 0, name
        assert f"usage: starleague {name}" in capsys.readouterr().out
    # And once through the installed entry point, as a user runs it.
    out = subprocess.run([sys.executable, "-m", "starleague", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "train" in out.stdout


def test_cli_config_reports_bad_key():
    out = subprocess.run(
        [sys.executable, "-m", "starleague", "config", "--set", "learner.nope=1"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "learner.nope" in out.stdout

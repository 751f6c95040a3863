"""Every command the images, the manifests and docs/cluster.md run is a real `starleague`
subcommand taking those flags: each is run with --help in a fresh process.

EXPECTED lists exactly what is checked. It must equal what the files use, so a new
command in a manifest or the docs has to be added here (and so is checked), and a
subcommand that has not landed fails here with its name."""

from __future__ import annotations

import json
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from dockerfile_parse import stages
from k8s_support import DOCKER, OVERLAYS, REPO, render_overlay

# (subcommand path) -> the flags used with it anywhere in infra/ or docs/cluster.md.
EXPECTED: dict[tuple[str, ...], set[str]] = {
    (): {"--help"},
    ("doctor",): {"--json"},
    ("learner",): {"--player", "--host", "--port", "--advertise", "--league", "--resume", "--preset",
                   "--run-dir", "--token-file"},
    ("actor",): {"--learner", "--league", "--player", "--preset", "--set", "--envs", "--run-dir", "--token-file"},
    ("league", "serve"): {"--address", "--store", "--snapshot-dir", "--preset", "--token-file"},
    ("league", "standings"): {"--address", "--token-file"},
    ("league", "check"): {"--store"},
    ("eval",): {"--snapshot", "--backend", "--vs", "--games", "--workers", "--out", "--store"},
    ("replays", "info"): set(),
}
# Other programs the manifests start, installed with starleague's dependencies.
EXPECTED_PROGRAMS = {"tensorboard": {"--logdir", "--bind_all", "--port"}}


def split_command(argv: list[str]) -> tuple[tuple[str, ...], set[str]]:
    """['league', 'serve', '--store=x', '--resume'] -> (('league', 'serve'), {'--store', '--resume'}).

    Subcommand words are lower-case names; the first other word (a flag, or a positional
    such as a path) ends the subcommand path."""
    path = []
    for word in argv:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        path.append(word)
    flags = {w.split("=", 1)[0] for w in argv if w.startswith("--")}
    return tuple(path), flags


def manifest_commands(tmp_path_factory) -> list[list[str]]:
    commands = []
    for overlay in OVERLAYS:
        for obj in render_overlay(tmp_path_factory.mktemp(overlay), overlay):
            if obj["kind"] not in ("Deployment", "StatefulSet", "Job", "CronJob"):
                continue
            for container in obj["spec"]["template"]["spec"]["containers"]:
                commands.append(container.get("command", ["starleague"]) + container.get("args", []))
    return commands


def dockerfile_commands() -> list[list[str]]:
    """ENTRYPOINT + CMD of each image, and the `starleague ...` its build RUNs."""
    commands = []
    for dockerfile in sorted(DOCKER.glob("*.Dockerfile")):
        _, all_stages = stages(dockerfile)
        (entrypoint,) = all_stages[-1].all("ENTRYPOINT")
        (cmd,) = all_stages[-1].all("CMD")
        commands.append(entrypoint.exec_form() + cmd.exec_form())
        for run in all_stages[-1].all("RUN"):
            for match in re.finditer(r"(?:^|&&|;)\s*(starleague(?:\s+[^&|;>\s]+)*)", run.text):
                commands.append(match.group(1).split())
    return commands


def doc_commands() -> list[list[str]]:
    """`starleague ...` lines inside the code blocks of docs/cluster.md (continuations joined)."""
    text = (REPO / "docs" / "cluster.md").read_text()
    commands = []
    for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            # Skip env assignments and wrappers (kubectl exec ... --, ip netns exec NS).
            while words and ("=" in words[0] and not words[0].startswith("-")):
                words.pop(0)
            if "--" in words and words[: words.index("--")][:1] == ["kubectl"]:
                words = words[words.index("--") + 1:]
            if words and words[0] == "starleague":
                commands.append(words)
    return commands


@pytest.fixture(scope="module")
def used(tmp_path_factory) -> dict[tuple[str, ...], set[str]]:
    usage: dict[tuple[str, ...], set[str]] = {}
    for argv in manifest_commands(tmp_path_factory) + dockerfile_commands() + doc_commands():
        if argv[0] != "starleague":
            usage.setdefault(("program", argv[0]), set()).update(split_command(argv[1:])[1])
            continue
        path, flags = split_command(argv[1:])
        usage.setdefault(path, set()).update(flags)
    return usage


def test_expected_list_is_exactly_what_the_files_use(used):
    starleague_commands = {k: v for k, v in used.items() if k[:1] != ("program",)}
    programs = {k[1]: v for k, v in used.items() if k[:1] == ("program",)}
    assert starleague_commands == EXPECTED
    assert programs == EXPECTED_PROGRAMS


def help_text(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=REPO)


# `starleague <path> --help` for every path, through the real CLI entry point
# (starleague.cli.main, what `python -m starleague` runs), in one fresh process so the
# imports are paid once.
HELP_DRIVER = """
import contextlib, io, json, sys
from starleague.cli import main
results = {}
for path in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([*path, "--help"])
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except Exception as error:
            code, err = 1, io.StringIO(f"{type(error).__name__}: {error}")
    results[" ".join(path)] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(results))
"""


@pytest.mark.timeout(240)
def test_every_command_and_flag_is_real():
    top = help_text([sys.executable, "-m", "starleague", "--help"])
    assert top.returncode == 0 and "COMMAND" in top.stdout, top.stderr
    driver = help_text([sys.executable, "-c", HELP_DRIVER, json.dumps([list(p) for p in EXPECTED])])
    assert driver.returncode == 0, driver.stderr[-2000:]
    results = json.loads(driver.stdout.strip().splitlines()[-1])
    problems = []
    for path, flags in EXPECTED.items():
        name = " ".join(("starleague",) + path)
        code, out, err = results[" ".join(path)]
        if code != 0:
            last = (err.strip().splitlines() or ["(no output)"])[-1]
            problems.append(f"`{name}` is not a working subcommand (exit {code}): {last}")
            continue
        missing = sorted(f for f in flags if f not in out)
        if missing:
            problems.append(f"`{name}` has no {', '.join(missing)}")
    assert not problems, "entry points used by infra/ and docs/cluster.md:\n" + "\n".join(problems)


@pytest.mark.timeout(120)
def test_programs_started_by_the_manifests_are_installed():
    bin_dir = pathlib.Path(sys.executable).parent
    for program, flags in EXPECTED_PROGRAMS.items():
        executable = bin_dir / program
        assert executable.exists(), f"{program} is not installed with starleague's dependencies"
        result = help_text([str(executable), "--helpfull"])
        assert result.returncode == 0, result.stderr[-500:]
        assert all(f in result.stdout for f in flags), sorted(f for f in flags if f not in result.stdout)

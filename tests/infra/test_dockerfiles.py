"""infra/docker: what can be checked without building the images (Docker does not run on
these machines): every copied file exists and is in the build context, every build
variable is declared, the image runs as a non-root user, the StarCraft II install refuses
to run without the EULA, and the image holds every package starleague ships."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tomllib

import pytest

from dockerfile_parse import (
    arg_default, copy_sources, declared_name, dockerignore_patterns, is_ignored, stages, variables_used,
)
from k8s_support import DOCKER, REPO

DOCKERFILES = {"actor": DOCKER / "actor.Dockerfile", "learner": DOCKER / "learner.Dockerfile"}
# Set by the base images or the shell, not by the Dockerfile.
AMBIENT_VARIABLES = {"PATH", "HOME"}


@pytest.fixture(params=sorted(DOCKERFILES))
def dockerfile(request) -> pathlib.Path:
    return DOCKERFILES[request.param]


def test_copy_sources_exist_and_are_in_the_build_context(dockerfile):
    ignored = dockerignore_patterns(REPO / ".dockerignore")
    _, all_stages = stages(dockerfile)
    checked = 0
    for stage in all_stages:
        for instruction in stage.all("COPY") + stage.all("ADD"):
            sources = copy_sources(instruction)
            if sources is None:
                continue
            for source in sources:
                assert (REPO / source).exists(), f"{dockerfile.name}:{instruction.line}: {source} does not exist"
                assert not is_ignored(source, ignored), f"{dockerfile.name}: {source} is excluded by .dockerignore"
                checked += 1
    assert checked >= 7


def test_images_hold_every_package_the_project_ships(dockerfile):
    """`pip install .` inside the image sees only what was copied: all packages, metadata."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    _, all_stages = stages(dockerfile)
    copied = {s for i in all_stages[-1].all("COPY") for s in (copy_sources(i) or [])}
    assert packages <= copied, f"{dockerfile.name} misses {sorted(packages - copied)}"
    assert {"pyproject.toml", project["project"]["readme"]} <= copied


def test_build_variables_are_declared(dockerfile):
    preamble, all_stages = stages(dockerfile)
    global_args = {n for i in preamble if i.keyword == "ARG" for n in declared_name(i)}
    for stage in all_stages:
        assert variables_used(stage.base) <= global_args, f"FROM {stage.base} uses an undeclared ARG"
        declared = set(AMBIENT_VARIABLES)
        for instruction in stage.instructions:
            if instruction.keyword in ("RUN", "ENV", "LABEL", "WORKDIR", "COPY", "USER"):
                undeclared = variables_used(instruction.text) - declared
                assert not undeclared, f"{dockerfile.name}:{instruction.line}: {sorted(undeclared)} not declared"
            declared.update(declared_name(instruction))


def test_runs_as_non_root_user(dockerfile):
    _, all_stages = stages(dockerfile)
    users = all_stages[-1].all("USER")
    assert users, f"{dockerfile.name}: the final image has no USER"
    user = users[-1].text.split(":")[0]
    assert user not in ("0", "root")
    # The user is created in the image before it is used.
    created = [i for i in all_stages[-1].all("RUN") if "useradd" in i.text]
    assert created and all(i.line < users[-1].line for i in created)
    assert f"--uid {user}" in created[0].text or user in created[0].text.split()


def test_entry_point_is_the_starleague_command(dockerfile):
    _, all_stages = stages(dockerfile)
    (entrypoint,) = all_stages[-1].all("ENTRYPOINT")
    assert entrypoint.exec_form() == ["starleague"]
    (cmd,) = all_stages[-1].all("CMD")
    assert cmd.exec_form() is not None, "CMD must use the exec form"


def test_actor_image_pins_the_game_and_requires_the_eula():
    preamble, (download, runtime) = stages(DOCKERFILES["actor"])
    args = {declared_name(i)[0]: arg_default(i) for i in download.all("ARG")}
    assert args["SC2_VERSION"], "the game version is pinned by a default the user can override"
    assert args["ACCEPT_EULA"] is None, "accepting the EULA must never be defaulted"
    assert "Melee" in args["SC2_MAP_PACKS"], "the Melee pack holds Simple64"
    env = " ".join(i.text for i in runtime.all("ENV"))
    assert "SC2PATH=/opt/StarCraftII" in env
    assert any("--from=sc2" in i.text and "/opt/StarCraftII" in i.text for i in runtime.all("COPY"))


def test_learner_image_is_cuda_pytorch():
    preamble, (runtime,) = stages(DOCKERFILES["learner"])
    (base,) = [arg_default(i) for i in preamble if declared_name(i) == ["PYTORCH_IMAGE"]]
    assert base.startswith("pytorch/pytorch:") and "cuda" in base and "runtime" in base


def test_build_commands_are_documented(dockerfile):
    """Each Dockerfile says how to build it from the repo root; docs/cluster.md repeats it."""
    text = dockerfile.read_text()
    command = f"docker build -f infra/docker/{dockerfile.name}"
    assert command in text
    assert command in (REPO / "docs" / "cluster.md").read_text()


# ---- the StarCraft II installer, run for real up to the download --------------------------

INSTALLER = DOCKER / "install-sc2.sh"


def run_installer(tmp_path, **env):
    environment = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(["sh", str(INSTALLER), str(tmp_path / "StarCraftII")], env=environment,
                          capture_output=True, text=True, timeout=30)


def test_installer_refuses_without_the_eula(tmp_path):
    result = run_installer(tmp_path, SC2_VERSION="4.10")
    assert result.returncode != 0
    assert "AI and Machine Learning License" in result.stderr
    assert "ACCEPT_EULA" in result.stderr
    assert not (tmp_path / "StarCraftII").exists()


def test_installer_refuses_a_wrong_eula_answer(tmp_path):
    result = run_installer(tmp_path, SC2_VERSION="4.10", ACCEPT_EULA="yes")
    assert result.returncode != 0 and "AI and Machine Learning License" in result.stderr


def test_installer_refuses_an_unpublished_version(tmp_path):
    result = run_installer(tmp_path, SC2_VERSION="9.99", ACCEPT_EULA="iagreetotheeula")
    assert result.returncode != 0
    assert "no published StarCraft II Linux package for SC2_VERSION=9.99" in result.stderr


def test_installer_knows_the_default_version():
    _, (download, _) = stages(DOCKERFILES["actor"])
    default = {declared_name(i)[0]: arg_default(i) for i in download.all("ARG")}["SC2_VERSION"]
    assert f" {default})" in INSTALLER.read_text() or f"| {default})" in INSTALLER.read_text()


# ---- the actor image's build gate: `starleague doctor` must find the game and the maps ----


def doctor_gate() -> str:
    _, all_stages = stages(DOCKERFILES["actor"])
    (gate,) = [i.text for i in all_stages[-1].all("RUN") if "starleague doctor" in i.text]
    return gate


def run_gate(tmp_path, sc2path):
    # The venv's `starleague` and `python` stand in for the image's.
    env = {"PATH": f"{pathlib.Path(sys.executable).parent}:{os.environ['PATH']}", "SC2PATH": str(sc2path),
           "HOME": str(tmp_path)}
    gate = doctor_gate().replace("/tmp/doctor.json", str(tmp_path / "doctor.json"))
    return subprocess.run(["sh", "-c", gate], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.timeout(240)
def test_actor_build_fails_without_the_game(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_gate(tmp_path, tmp_path / "empty")
    assert result.returncode != 0
    assert "starleague doctor" in result.stderr and "'sc2 binary': 'warn'" in result.stderr


@pytest.mark.timeout(240)
def test_actor_build_passes_with_a_game_and_maps(tmp_path):
    # An SC2PATH laid out like the Linux package whose SC2_x64 starts the embedded engine.
    shim = tmp_path / "StarCraftII"
    made = subprocess.run([sys.executable, "-m", "starleague", "sc2-server", "--make-shim", str(shim)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert made.returncode == 0, made.stderr
    result = run_gate(tmp_path, shim)
    assert result.returncode == 0, result.stderr

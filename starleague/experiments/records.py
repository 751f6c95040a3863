"""An experiment's state file and the provenance written beside every result.

`state.json` (in the experiment's results folder) holds one entry per cell: its status
("pending" -> "trained" -> "done") and what it measured. It is rewritten atomically
after every change, so a killed experiment resumes from it: finished cells are not rerun,
an unfinished cell resumes its training from its last checkpoint (starleague.experiments.training).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from typing import Any

RESULTS_ROOT = os.path.join("bench", "results", "experiments")
RUNS_ROOT = os.path.join("runs", "experiments")


class ExperimentError(RuntimeError):
    """An experiment cannot start or continue (state from another setup, a cell that failed)."""


def write_json(path: str, data: Any) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def write_text(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "starleague", "agent"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    return commit + ("+dirty" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"hostname": platform.node(), "platform": platform.platform(),
                            "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        info["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        pass
    return info


def provenance(argv: list[str] | None = None) -> dict[str, Any]:
    """Command, commit, machine and time of this invocation."""
    argv = sys.argv if argv is None else argv
    return {"command": "starleague " + " ".join(shlex.quote(a) for a in argv),
            "git_commit": git_commit(), "machine": machine(),
            "time_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


class ExperimentState:
    """state.json of one experiment: settings, invocations, and one dict per cell."""

    def __init__(self, results_dir: str, experiment: str, settings: dict[str, Any], resume: bool,
                 fixed: tuple[str, ...] = ()):
        self.path = os.path.join(results_dir, "state.json")
        self.results_dir = results_dir
        if resume and os.path.exists(self.path):
            with open(self.path) as f:
                self.data = json.load(f)
            if self.data.get("experiment") != experiment:
                raise ExperimentError(f"{self.path} belongs to experiment {self.data.get('experiment')!r}, "
                                      f"not {experiment!r}")
            old = self.data.get("settings", {})
            changed = [k for k in fixed if old.get(k) != settings.get(k)]
            if changed:
                raise ExperimentError(
                    f"{self.path} was started with {', '.join(f'{k}={old.get(k)!r}' for k in changed)}; --resume "
                    f"needs the same values (got {', '.join(f'{k}={settings.get(k)!r}' for k in changed)}). "
                    f"Start over without --resume, or pass the same options.")
            self.data["settings"] = settings  # budgets may grow on resume (a longer run continues)
        else:
            self.data = {"experiment": experiment, "settings": settings, "invocations": [], "cells": {}}

    def begin(self, argv: list[str] | None = None) -> None:
        self.data["invocations"].append(provenance(argv))
        self.save()

    def cell(self, name: str, **defaults: Any) -> dict[str, Any]:
        cells = self.data["cells"]
        if name not in cells:
            cells[name] = {"status": "pending", **defaults}
        return cells[name]

    def update(self, name: str, **values: Any) -> None:
        self.data["cells"][name].update(values)
        self.save()

    def save(self) -> None:
        write_json(self.path, self.data)

    def invocations_line(self) -> str:
        """The line under every results table: each command that built it, at which commit, when."""
        return "Invocations: " + "; ".join(f"`{i['command']}` at {i['git_commit']} ({i['time_utc']})"
                                           for i in self.data["invocations"]) + "\n"

"""Shared by the infra tests: where things are, and rendering an overlay with a token."""

from __future__ import annotations

import pathlib
import shutil

from kustomize_lite import render

REPO = pathlib.Path(__file__).resolve().parents[2]
K8S = REPO / "infra" / "k8s"
DOCKER = REPO / "infra" / "docker"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
# Kubernetes versions the manifests must be valid for: native gRPC probes are GA since
# 1.27; 1.29 is the oldest release still commonly run, and the newest the package ships.
SCHEMA_VERSIONS = ("1.29.0", "latest")


def copy_with_token(tmp_path: pathlib.Path, token: str = "test-token") -> pathlib.Path:
    """A copy of infra/k8s with each overlay's (git-ignored) token file written."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets"))
    for overlay in OVERLAYS:
        secrets = copy / "overlays" / overlay / "secrets"
        secrets.mkdir()
        (secrets / "token").write_text(token + "\n")
    return copy


def render_overlay(tmp_path: pathlib.Path, overlay: str) -> list[dict]:
    return render(copy_with_token(tmp_path) / "overlays" / overlay)

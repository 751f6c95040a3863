"""infra/k8s: every overlay renders (kustomize semantics), every object is valid against the
Kubernetes OpenAPI schemas (offline, kubernetes-validate), and the pieces fit together:
actors dial Services that exist, one learner per learning player of the overlay's preset,
actor requests sized per StarCraft II process, probes on the gRPC health ports."""

from __future__ import annotations

import base64
import copy
import re
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from k8s_support import K8S, OVERLAYS, SCHEMA_VERSIONS, copy_with_token, render_overlay
from kustomize_lite import KustomizeError, render
from league.players import LEARNING_ROLES, initial_players
from starleague.config import build_config

# Per StarCraft II process (one per environment): one core (the game simulation is
# single-threaded; pysc2 users run one environment per CPU, google-deepmind/pysc2#235) and
# 1.5 GiB (an estimate: no published figure found, no binary here to measure); plus one
# core and 2 GiB for the actor's batched inference. docs/cluster.md, "Size the actors".
CPU_PER_GAME, MEMORY_PER_GAME_GIB = 1.0, 1.5
ACTOR_CPU, ACTOR_MEMORY_GIB = 1.0, 2.0


def test_overlays_exist():
    assert OVERLAYS == ["cluster", "local"]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request, tmp_path_factory):
    return request.param, render_overlay(tmp_path_factory.mktemp(request.param), request.param)


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def container(workload):
    (only,) = pod_spec(workload)["containers"]
    return only


def parse_quantity(value) -> float:
    """'500m' -> 0.5 (cores); '14Gi' -> 14.0 (GiB); plain numbers as they are."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**-20, "Mi": 2**-10, "Gi": 1.0, "Ti": 2**10}
    for suffix, scale in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    return float(text)


def config_of_map(objects) -> dict[str, str]:
    return by_kind(objects, "ConfigMap")["starleague-config"]["data"]


def config_of(objects):
    """The RunConfig the pods resolve: the ConfigMap's preset plus the overrides the args pass."""
    data = config_of_map(objects)
    overrides = [f"env.backend={data['STARLEAGUE_ENV_BACKEND']}",
                 f"actor.envs_per_actor={data['STARLEAGUE_ENVS_PER_ACTOR']}"]
    return build_config(data["STARLEAGUE_PRESET"], overrides)


def expand(arg: str, pod_labels: dict, container_spec: dict, configmap: dict) -> str:
    """Kubernetes' $(VAR) expansion for the env sources these manifests use."""
    values = dict(configmap)
    for variable in container_spec.get("env", []):
        field = variable.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")
        match = re.fullmatch(r"metadata\.labels\['(.+)'\]", field)
        if match:
            values[variable["name"]] = pod_labels[match.group(1)]
        elif "value" in variable:
            values[variable["name"]] = variable["value"]
    return re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], arg)


def flag(args: list[str], name: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in args if a.startswith(name + "=")]
    return value


# ---- schema validation -------------------------------------------------------------------


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_object_is_valid_kubernetes(rendered, version):
    overlay, objects = rendered
    version = latest_version() if version == "latest" else version
    assert len(objects) > 5
    for obj in objects:
        # strict: unknown fields are errors, not silently dropped by the API server.
        kubernetes_validate.validate(obj, version, strict=True)


def test_wrong_field_fails_validation(tmp_path):
    """A patch with a misspelt field renders, and the schema check catches it."""
    tree = copy_with_token(tmp_path)
    overlay = tree / "overlays" / "local" / "kustomization.yaml"
    kustomization = yaml.safe_load(overlay.read_text())
    kustomization["patches"].append({
        "target": {"kind": "Deployment", "name": "tensorboard"},
        "patch": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tensorboard}\n"
                 "spec: {template: {spec: {containers: [{name: tensorboard, resource: {limits: {cpu: '1'}}}]}}}\n",
    })
    overlay.write_text(yaml.safe_dump(kustomization))
    objects = render(tree / "overlays" / "local")
    tensorboard = by_kind(objects, "Deployment")["tensorboard"]
    with pytest.raises(kubernetes_validate.ValidationError, match="'resource' was unexpected"):
        kubernetes_validate.validate(tensorboard, SCHEMA_VERSIONS[0], strict=True)
    # The same object without the typo is valid: the failure is the field, nothing else.
    del container(tensorboard)["resource"]
    kubernetes_validate.validate(tensorboard, SCHEMA_VERSIONS[0], strict=True)


def test_wrong_type_fails_validation(rendered):
    _, objects = rendered
    league = copy.deepcopy(by_kind(objects, "StatefulSet")["league"])
    container(league)["readinessProbe"]["grpc"]["port"] = "grpc"  # gRPC probes take a number
    with pytest.raises(kubernetes_validate.ValidationError, match="not of type 'integer'"):
        kubernetes_validate.validate(league, SCHEMA_VERSIONS[0], strict=True)


# ---- the renderer agrees with kustomize, and refuses what it does not know ------------------


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with built-in kustomize) not installed")
def test_renderer_matches_kubectl_kustomize(rendered, tmp_path):
    overlay, objects = rendered
    tree = copy_with_token(tmp_path)
    out = subprocess.run(["kubectl", "kustomize", str(tree / "overlays" / overlay)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    reference = [d for d in yaml.safe_load_all(out) if d]

    def key(o):
        return o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]

    ours = {key(o): o for o in objects}
    theirs = {key(o): o for o in reference}
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        assert ours[name] == theirs[name], name


def test_missing_token_file_is_a_clear_error():
    with pytest.raises(KustomizeError, match="needs file 'secrets/token'"):
        render(K8S / "overlays" / "local")


def test_unsupported_kustomize_feature_is_refused(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\nhelmCharts: []\n")
    with pytest.raises(KustomizeError, match="helmCharts"):
        render(tmp_path)


def test_patch_that_matches_nothing_is_refused(tmp_path):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\npatches:\n- patch: '{apiVersion: v1, kind: ConfigMap, metadata: {name: b}}'\n")
    with pytest.raises(KustomizeError, match="matches no resource"):
        render(tmp_path)


# ---- the pieces fit together -------------------------------------------------------------


def test_one_learner_per_learning_player_of_the_preset(rendered):
    overlay, objects = rendered
    config = config_of(objects)
    expected = {p.player_id for p in initial_players(config.league) if p.role in LEARNING_ROLES}
    learners = [o for o in by_kind(objects, "StatefulSet").values()
                if o["metadata"]["labels"]["app.kubernetes.io/component"] == "learner"]
    players = {}
    for learner in learners:
        labels = learner["spec"]["template"]["metadata"]["labels"]
        args = [expand(a, labels, container(learner), config_of_map(objects)) for a in container(learner)["args"]]
        assert args[0] == "learner"
        players[flag(args, "--player")] = learner
        assert learner["spec"]["replicas"] == 1, "two learners must never write one player's checkpoints"
        assert flag(args, "--run-dir") == f"/runs/learners/{flag(args, '--player')}"
    assert set(players) == expected, f"{overlay}: learners {sorted(players)} != preset's {sorted(expected)}"


def test_actors_dial_existing_services(rendered):
    overlay, objects = rendered
    services = by_kind(objects, "Service")
    actors = [o for o in by_kind(objects, "Deployment").values()
              if o["metadata"]["labels"]["app.kubernetes.io/component"] == "actors"]
    assert actors
    for deployment in actors:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        args = [expand(a, labels, container(deployment), config_of_map(objects)) for a in container(deployment)["args"]]
        for option, component in (("--learner", "learner"), ("--league", "league")):
            host, port = flag(args, option).rsplit(":", 1)
            assert host in services, f"{deployment['metadata']['name']}: {option} {host} is no Service"
            service = services[host]
            assert service["metadata"]["labels"]["app.kubernetes.io/component"] == component
            assert int(port) in [p["port"] for p in service["spec"]["ports"]]
            if component == "learner":
                # The Service selects this player's learner, not another player's.
                assert service["spec"]["selector"]["starleague.io/player"] == labels["starleague.io/player"]


def test_services_select_pods_that_exist(rendered):
    _, objects = rendered
    templates = [o["spec"]["template"]["metadata"]["labels"] for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    for name, service in by_kind(objects, "Service").items():
        selector = service["spec"]["selector"]
        matching = [t for t in templates if selector.items() <= t.items()]
        assert len(matching) == 1, f"Service {name} selects {len(matching)} workloads"


def test_references_resolve(rendered):
    """Every Secret, ConfigMap and volume claim a pod names is in the render (or a claim template)."""
    _, objects = rendered
    names = {kind: set(by_kind(objects, kind)) for kind in ("Secret", "ConfigMap", "PersistentVolumeClaim")}
    for workload in (o for o in objects if o["kind"] in ("Deployment", "StatefulSet")):
        claim_templates = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
        spec = pod_spec(workload)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for volume in volumes.values():
            if "secret" in volume:
                assert volume["secret"]["secretName"] in names["Secret"]
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in names["PersistentVolumeClaim"]
        for c in spec["containers"]:
            for source in c.get("envFrom", []):
                assert source["configMapRef"]["name"] in names["ConfigMap"]
            for mount in c.get("volumeMounts", []):
                assert mount["name"] in volumes or mount["name"] in claim_templates


def test_token_secret_holds_the_token(rendered):
    _, objects = rendered
    secret = by_kind(objects, "Secret")["starleague-token"]
    assert base64.b64decode(secret["data"]["token"]).decode().strip() == "test-token"


def test_actor_requests_cover_one_sc2_process_per_environment(rendered):
    overlay, objects = rendered
    for deployment in (o for o in by_kind(objects, "Deployment").values()
                       if o["metadata"]["labels"]["app.kubernetes.io/component"] == "actors"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        args = [expand(a, labels, container(deployment), config_of_map(objects)) for a in container(deployment)["args"]]
        # The games this actor runs: its --envs, or its preset's envs_per_actor.
        config = build_config(flag(args, "--preset"), [a.split("=", 1)[1] for a in args if a.startswith("--set=")])
        games = int(flag(args, "--envs")) if any(a.startswith("--envs=") for a in args) else config.actor.envs_per_actor
        assert config.env.backend == "sc2" and games >= 1
        requests = container(deployment)["resources"]["requests"]
        limits = container(deployment)["resources"]["limits"]
        assert parse_quantity(requests["cpu"]) >= games * CPU_PER_GAME + ACTOR_CPU
        assert parse_quantity(requests["memory"]) >= games * MEMORY_PER_GAME_GIB + ACTOR_MEMORY_GIB
        assert parse_quantity(limits["memory"]) >= parse_quantity(requests["memory"])
        assert container(deployment)["image"].split("/")[-1].startswith(("starleague-actor", "actor"))


def test_gpu_per_learner_on_the_cluster(tmp_path):
    objects = render_overlay(tmp_path, "cluster")
    learners = [o for o in by_kind(objects, "StatefulSet").values() if o["metadata"]["name"].endswith("-learner")]
    assert len(learners) == 12
    for learner in learners:
        resources = container(learner)["resources"]
        assert resources["limits"]["nvidia.com/gpu"] == 1 == resources["requests"]["nvidia.com/gpu"]
    # Several nodes write the run volume that TensorBoard reads.
    assert by_kind(objects, "PersistentVolumeClaim")["runs"]["spec"]["accessModes"] == ["ReadWriteMany"]
    assert all(not c["image"].startswith("starleague-") for o in objects if o["kind"] in ("Deployment", "StatefulSet")
               for c in pod_spec(o)["containers"]), "cluster images must come from a registry"


def test_probes_hit_the_health_endpoints(rendered):
    _, objects = rendered
    for workload in (o for o in objects if o["kind"] in ("Deployment", "StatefulSet")):
        c = container(workload)
        component = workload["metadata"]["labels"]["app.kubernetes.io/component"]
        if component == "actors":
            continue  # actors serve nothing; a dead actor exits and is restarted
        ports = {p["containerPort"] for p in c["ports"]}
        for kind in ("readinessProbe", "livenessProbe"):
            probe = c[kind]
            if component in ("league", "learner"):
                # Native gRPC probe: grpc.health.v1.Health/Check, which needs no token.
                assert probe["grpc"]["port"] in ports
            else:
                assert probe["httpGet"]["port"] in ports


def test_pods_run_as_non_root(rendered):
    _, objects = rendered
    for workload in (o for o in objects if o["kind"] in ("Deployment", "StatefulSet")):
        security = pod_spec(workload)["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] != 0
        assert container(workload)["securityContext"]["allowPrivilegeEscalation"] is False


def test_league_keeps_its_store_on_a_persistent_volume(rendered):
    _, objects = rendered
    league = by_kind(objects, "StatefulSet")["league"]
    assert league["spec"]["replicas"] == 1
    (claim,) = league["spec"]["volumeClaimTemplates"]
    args = container(league)["args"]
    assert args[:2] == ["league", "serve"]
    mounts = {m["mountPath"]: m["name"] for m in container(league)["volumeMounts"]}
    for option in ("--store", "--snapshot-dir"):
        path = flag(args, option)
        (volume,) = [name for mount, name in mounts.items() if path.startswith(mount + "/")]
        assert volume == claim["metadata"]["name"], f"{option} {path} is not on the league's volume"

"""Render a kustomization in Python: the subset of kustomize that infra/k8s uses.

Why: the tests must render every overlay on machines without the kustomize binary.
Where `kubectl kustomize` exists, the tests compare this renderer's output with it, so
the two cannot drift apart silently.

Supported (kustomize v5 semantics): resources (files and directories, recursively),
namespace, namePrefix, nameSuffix, labels (includeSelectors/includeTemplates),
commonLabels, configMapGenerator and secretGenerator (literals, files; behavior
create/merge/replace; only with generatorOptions.disableNameSuffixHash), images,
replicas, and patches (strategic merge, inline or from a file, with an optional target
of kind/name/labelSelector). Anything else raises KustomizeError instead of being
silently ignored. Transformers run in kustomize's order: patches, namespace, name
prefix/suffix (with name references fixed up), labels, replicas, images.
"""

from __future__ import annotations

import base64
import copy
import pathlib
import re
from typing import Any, Iterable

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_KEYS = {
    "apiVersion", "kind", "resources", "namespace", "namePrefix", "nameSuffix", "labels",
    "commonLabels", "configMapGenerator", "secretGenerator", "generatorOptions", "images",
    "replicas", "patches",
}
CLUSTER_SCOPED_KINDS = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "RuntimeClass", "IngressClass",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# Kubernetes' patchMergeKey for the lists this project patches; other lists are replaced.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "envFrom": None, "volumes": "name", "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}


class KustomizeError(ValueError):
    """The kustomization is malformed or uses a feature this renderer does not support."""


Resource = dict[str, Any]


def render(directory: str | pathlib.Path) -> list[Resource]:
    """Build the kustomization in `directory`, like `kustomize build directory`."""
    return _build(pathlib.Path(directory).resolve(), stack=())


def _load_kustomization(directory: pathlib.Path) -> dict[str, Any]:
    for name in KUSTOMIZATION_FILES:
        path = directory / name
        if path.is_file():
            data = yaml.safe_load(path.read_text()) or {}
            unknown = set(data) - SUPPORTED_KEYS
            if unknown:
                raise KustomizeError(f"{path}: unsupported kustomization fields {sorted(unknown)}")
            return data
    raise KustomizeError(f"{directory}: no kustomization.yaml")


def _load_documents(path: pathlib.Path) -> list[Resource]:
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    except yaml.YAMLError as error:
        raise KustomizeError(f"{path}: not valid YAML: {error}") from None
    for document in documents:
        if not isinstance(document, dict) or not {"apiVersion", "kind", "metadata"} <= set(document):
            raise KustomizeError(f"{path}: every document needs apiVersion, kind and metadata")
    return documents


def _build(directory: pathlib.Path, stack: tuple[pathlib.Path, ...]) -> list[Resource]:
    if directory in stack:
        raise KustomizeError(f"cycle in resources: {' -> '.join(map(str, stack + (directory,)))}")
    kustomization = _load_kustomization(directory)
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            resources.extend(_build(target, stack + (directory,)))
        elif target.is_file():
            resources.extend(_load_documents(target))
        else:
            raise KustomizeError(f"{directory}: resource {entry!r} does not exist")
    _check_unique(resources, directory)

    options = kustomization.get("generatorOptions", {})
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for generator in kustomization.get(key, []):
            _apply_generator(resources, kind, generator, options, directory)

    for patch in kustomization.get("patches", []):
        _apply_patch(resources, patch, directory)
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED_KINDS:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    if "namePrefix" in kustomization or "nameSuffix" in kustomization:
        _rename(resources, kustomization.get("namePrefix", ""), kustomization.get("nameSuffix", ""))
    if "commonLabels" in kustomization:
        _add_labels(resources, kustomization["commonLabels"], selectors=True, templates=True)
    for entry in kustomization.get("labels", []):
        selectors = bool(entry.get("includeSelectors", False))
        _add_labels(resources, entry.get("pairs", {}), selectors, selectors or bool(entry.get("includeTemplates")))
    for entry in kustomization.get("replicas", []):
        _set_replicas(resources, entry, directory)
    for entry in kustomization.get("images", []):
        _set_image(resources, entry)
    return resources


def _check_unique(resources: list[Resource], directory: pathlib.Path) -> None:
    seen = set()
    for resource in resources:
        key = _identity(resource)
        if key in seen:
            raise KustomizeError(f"{directory}: {key} is defined twice")
        seen.add(key)


def _identity(resource: Resource) -> tuple[str, str, str]:
    metadata = resource["metadata"]
    return resource["kind"], metadata.get("namespace", ""), metadata["name"]


# ---- generators ------------------------------------------------------------------------


def _apply_generator(resources: list[Resource], kind: str, generator: dict, options: dict,
                     directory: pathlib.Path) -> None:
    if not options.get("disableNameSuffixHash") and not generator.get("options", {}).get("disableNameSuffixHash"):
        raise KustomizeError(f"{directory}: name suffix hashes are not supported; set "
                             "generatorOptions.disableNameSuffixHash: true")
    unknown = set(generator) - {"name", "behavior", "literals", "files", "type", "options"}
    if unknown:
        raise KustomizeError(f"{directory}: unsupported generator fields {sorted(unknown)}")
    data: dict[str, str] = {}
    for literal in generator.get("literals", []):
        key, sep, value = literal.partition("=")
        if not sep:
            raise KustomizeError(f"{directory}: literal {literal!r} is not KEY=VALUE")
        data[key] = value
    for item in generator.get("files", []):
        key, sep, relative = item.partition("=")
        relative = relative if sep else key
        key = key if sep else pathlib.Path(relative).name
        path = directory / relative
        if not path.is_file():
            raise KustomizeError(f"{directory}: {kind} {generator['name']!r} needs file {relative!r}, "
                                 "which does not exist")
        data[key] = path.read_text()
    if kind == "Secret":
        data = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    behavior = generator.get("behavior", "create")
    existing = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == generator["name"]]
    if behavior == "create":
        if existing:
            raise KustomizeError(f"{directory}: {kind} {generator['name']!r} already exists; use behavior: merge")
        resource: Resource = {"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}}
        if data:
            resource["data"] = data
        if kind == "Secret":
            resource["type"] = generator.get("type", "Opaque")
        resources.append(resource)
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise KustomizeError(f"{directory}: {behavior} needs exactly one {kind} {generator['name']!r}")
        target = existing[0]
        target["data"] = {**target.get("data", {}), **data} if behavior == "merge" else data
    else:
        raise KustomizeError(f"{directory}: unknown generator behavior {behavior!r}")


# ---- patches ---------------------------------------------------------------------------


def _apply_patch(resources: list[Resource], entry: dict, directory: pathlib.Path) -> None:
    unknown = set(entry) - {"path", "patch", "target"}
    if unknown:
        raise KustomizeError(f"{directory}: unsupported patch fields {sorted(unknown)}")
    if "path" in entry:
        text = (directory / entry["path"]).read_text()
    elif "patch" in entry:
        text = entry["patch"]
    else:
        raise KustomizeError(f"{directory}: a patch needs path or patch")
    patch = yaml.safe_load(text)
    if isinstance(patch, list):
        raise KustomizeError(f"{directory}: JSON 6902 patches are not supported; use a strategic merge patch")
    if not isinstance(patch, dict) or "kind" not in patch:
        raise KustomizeError(f"{directory}: a strategic merge patch needs kind and metadata.name")
    target = entry.get("target")
    if target is None:
        target = {"kind": patch["kind"], "name": patch.get("metadata", {}).get("name", "")}
    matched = [r for r in resources if _matches(r, target, directory)]
    if not matched:
        raise KustomizeError(f"{directory}: patch target {target} matches no resource")
    body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
    metadata = {k: v for k, v in body.pop("metadata", {}).items() if k not in ("name", "namespace")}
    if metadata:
        body["metadata"] = metadata
    for resource in matched:
        _strategic_merge(resource, body, parent="")


def _matches(resource: Resource, target: dict, directory: pathlib.Path) -> bool:
    unknown = set(target) - {"kind", "name", "labelSelector"}
    if unknown:
        raise KustomizeError(f"{directory}: unsupported patch target fields {sorted(unknown)}")
    if "kind" in target and resource["kind"] != target["kind"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], resource["metadata"]["name"]):
        return False
    labels = resource["metadata"].get("labels", {})
    for requirement in filter(None, (target.get("labelSelector") or "").split(",")):
        key, sep, value = requirement.partition("=")
        if not sep or any(c in key for c in "!()"):
            raise KustomizeError(f"{directory}: only key=value label selectors are supported: {requirement!r}")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def _strategic_merge(base: dict, patch: dict, parent: str) -> None:
    """Kubernetes strategic merge: maps merge, null deletes, keyed lists merge by key."""
    for key, value in patch.items():
        if isinstance(key, str) and key.startswith("$"):
            raise KustomizeError(f"patch directive {key!r} is not supported")
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _strategic_merge(base[key], value, parent=key)
        elif isinstance(value, list) and isinstance(base.get(key), list) and _merge_key(key, parent):
            base[key] = _merge_list(base[key], value, _merge_key(key, parent), key)
        else:
            base[key] = copy.deepcopy(value)


def _merge_key(key: str, parent: str) -> str | None:
    if key == "ports":
        return "containerPort" if parent not in ("spec",) else "port"
    return MERGE_KEYS.get(key)


def _merge_list(base: list, patch: list, merge_key: str, key: str) -> list:
    """Items named in the patch come first, in patch order (as kustomize emits them)."""
    remaining = copy.deepcopy(base)
    merged = []
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise KustomizeError(f"patch list {key!r}: every item needs {merge_key!r}")
        existing = next((m for m in remaining if isinstance(m, dict) and m.get(merge_key) == item[merge_key]), None)
        if existing is None:
            merged.append(copy.deepcopy(item))
        else:
            remaining.remove(existing)
            _strategic_merge(existing, item, parent=key)
            merged.append(existing)
    return merged + remaining


# ---- names and labels ------------------------------------------------------------------


def _pod_specs(resource: Resource) -> Iterable[dict]:
    spec = resource.get("spec", {})
    if resource["kind"] == "Pod":
        yield spec
    elif resource["kind"] in WORKLOAD_KINDS:
        yield spec.get("template", {}).get("spec", {})
    elif resource["kind"] == "CronJob":
        yield spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})


def _containers(pod_spec: dict) -> Iterable[dict]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod_spec.get(key, [])


def _rename(resources: list[Resource], prefix: str, suffix: str) -> None:
    """Prefix/suffix every name, then fix references to the renamed objects (nameReference)."""
    renamed: dict[tuple[str, str], str] = {}
    for resource in resources:
        old = resource["metadata"]["name"]
        if resource["kind"] in ("Namespace", "CustomResourceDefinition"):
            continue
        resource["metadata"]["name"] = f"{prefix}{old}{suffix}"
        renamed[(resource["kind"], old)] = resource["metadata"]["name"]

    def fix(holder: dict, field: str, kind: str) -> None:
        if field in holder and (kind, holder[field]) in renamed:
            holder[field] = renamed[(kind, holder[field])]

    for resource in resources:
        if resource["kind"] == "StatefulSet":
            fix(resource["spec"], "serviceName", "Service")
        for pod_spec in _pod_specs(resource):
            for volume in pod_spec.get("volumes", []):
                fix(volume.get("persistentVolumeClaim", {}), "claimName", "PersistentVolumeClaim")
                fix(volume.get("secret", {}), "secretName", "Secret")
                fix(volume.get("configMap", {}), "name", "ConfigMap")
            for container in _containers(pod_spec):
                for source in container.get("envFrom", []):
                    fix(source.get("configMapRef", {}), "name", "ConfigMap")
                    fix(source.get("secretRef", {}), "name", "Secret")
                for variable in container.get("env", []):
                    value_from = variable.get("valueFrom", {})
                    fix(value_from.get("configMapKeyRef", {}), "name", "ConfigMap")
                    fix(value_from.get("secretKeyRef", {}), "name", "Secret")


def _add_labels(resources: list[Resource], pairs: dict, selectors: bool, templates: bool) -> None:
    pairs = {str(k): str(v) for k, v in pairs.items()}
    for resource in resources:
        resource["metadata"].setdefault("labels", {}).update(pairs)
        kind, spec = resource["kind"], resource.get("spec")
        if spec is None:
            continue
        if kind == "Service" and selectors:
            spec.setdefault("selector", {}).update(pairs)
        if kind in WORKLOAD_KINDS:
            if templates:
                spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            if selectors and kind != "Job":
                spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
            if selectors and kind == "StatefulSet":
                for claim in spec.get("volumeClaimTemplates", []):
                    claim.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if kind == "CronJob" and templates:
            job = spec.setdefault("jobTemplate", {})
            job.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            job.setdefault("spec", {}).setdefault("template", {}).setdefault("metadata", {}).setdefault(
                "labels", {}).update(pairs)


def _set_replicas(resources: list[Resource], entry: dict, directory: pathlib.Path) -> None:
    matched = [r for r in resources if r["metadata"]["name"] == entry["name"]
               and r["kind"] in ("Deployment", "StatefulSet", "ReplicaSet")]
    if not matched:
        raise KustomizeError(f"{directory}: replicas: no workload named {entry['name']!r}")
    for resource in matched:
        resource["spec"]["replicas"] = int(entry["count"])


def _split_image(image: str) -> tuple[str, str]:
    """'repo/name:tag' -> ('repo/name', ':tag'); digests and registry ports kept apart."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _set_image(resources: list[Resource], entry: dict) -> None:
    for resource in resources:
        for pod_spec in _pod_specs(resource):
            for container in _containers(pod_spec):
                name, tag = _split_image(container.get("image", ""))
                if name != entry["name"]:
                    continue
                name = entry.get("newName", name)
                if "digest" in entry:
                    tag = "@" + entry["digest"]
                elif "newTag" in entry:
                    tag = ":" + str(entry["newTag"])
                container["image"] = name + tag

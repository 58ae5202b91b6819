"""Rendered Prometheus Operator manifests (outputs.operator) against the Operator's CRD
schemas, vendored in sfmon/schemas/prometheus-operator, in process like the dashboards.
The Secret and ConfigMaps are core kinds with no CRD: their text is alertmanager.yml's and
the dashboards', which promtool, amtool and Grafana's schema check as files of their own."""

from __future__ import annotations

import functools
import json
from typing import Any

from sfmon.paths import SCHEMAS
from sfmon.problems import Problem, Severity

CHECK = "operator/schema"
PREFIX = "operator/"
MAX_PER_FILE = 20
MAX_MESSAGE = 300
# (apiVersion, kind) -> the vendored schema of its whole manifest.
SCHEMA_FILES = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule_v1.json",
    ("monitoring.coreos.com/v1alpha1", "ScrapeConfig"): "scrapeconfig_v1alpha1.json",
}
CORE = {("v1", "Secret"), ("v1", "ConfigMap")}


@functools.cache
def validator(api_version: str, kind: str) -> Any:
    """Built on first use per kind (the ScrapeConfig schema is ~680 KB)."""
    import jsonschema

    name = SCHEMA_FILES[(api_version, kind)]
    schema = json.loads((SCHEMAS / "prometheus-operator" / name).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def check_manifests(files: dict[str, str], label: str) -> list[Problem]:
    """Problems for every rendered manifest in `files` that its CRD schema refuses."""
    problems: list[Problem] = []
    for rel in sorted(files):
        if rel.startswith(PREFIX) and rel.endswith(".yaml"):
            problems += check_manifest(files[rel], f"{label}/{rel}")
    return problems


def check_manifest(text: str, file: str) -> list[Problem]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    def problem(message: str) -> Problem:
        return Problem(file, 0, 0, CHECK, Severity.ERROR, message)

    try:
        doc = YAML(typ="safe").load(text)
    except YAMLError as exc:  # a --templates override can break the YAML
        return [problem(f"not YAML: {str(exc).splitlines()[0]}")]
    if not isinstance(doc, dict):
        return [problem("not a Kubernetes manifest (a mapping with apiVersion and kind)")]
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in CORE:
        return []
    if key not in SCHEMA_FILES:
        return [problem(f"apiVersion {key[0]!r}, kind {key[1]!r}: no schema sfmon knows")]
    out = []
    for error in sorted(validator(*key).iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "."
        message = error.message if len(error.message) <= MAX_MESSAGE else error.message[: MAX_MESSAGE - 1] + "…"
        out.append(problem(f"{where.lstrip('.') or '.'}: {message}"))
    if len(out) > MAX_PER_FILE:
        out = out[:MAX_PER_FILE] + [problem(f"{len(out) - MAX_PER_FILE} more schema findings not shown")]
    return out

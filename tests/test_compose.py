"""generated/docker-compose.yml: valid Compose (the compose-spec JSON Schema), and the stack
the issue asks for: retention as a server flag, generated files and provisioning mounted
read-only, secrets mounted where the configs read them, no default admin password."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from conftest import FIXTURES, GENERATED, SCHEMAS, SPEC
from sfmon.pipeline import load, render
from sfmon.render.views import secret_files

yaml = YAML(typ="safe")
SPECS = {
    "default": SPEC, "minimal": FIXTURES / "specs" / "valid" / "minimal.yaml", "full": FIXTURES / "specs" / "valid" / "full.yaml",
    "operator": FIXTURES / "specs" / "valid" / "operator.yaml",
}  # fmt: skip


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((SCHEMAS / "compose" / "compose-spec.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def errors(validator: Draft7Validator, doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_committed_compose_file_is_valid_compose(validator):
    doc = yaml.load((GENERATED / "docker-compose.yml").read_text())
    assert errors(validator, doc) == []


@pytest.fixture(params=sorted(SPECS), scope="module")
def rendered(request):
    loaded = load(SPECS[request.param])
    files = render(loaded)
    return loaded.spec, files, yaml.load(files["docker-compose.yml"])


def test_rendered_compose_is_valid_compose(validator, rendered):
    _, _, doc = rendered
    assert errors(validator, doc) == []


def services(doc: dict, base: str) -> list[dict]:
    """The service `base`, or its replicas `base-0`, `base-1`, ... (prometheus.replicas, alertmanager.replicas)."""
    found = [svc for name, svc in doc["services"].items() if name == base or re.fullmatch(re.escape(base) + r"-\d+", name)]
    assert found, base
    return found


def test_prometheus_runs_with_the_spec_retention_and_listen_address(rendered):
    spec, _, doc = rendered
    for svc in services(doc, "prometheus"):
        cmd = svc["command"]
        assert f"--storage.tsdb.retention.time={spec.prometheus.retention}" in cmd
        assert f"--web.listen-address={spec.prometheus.listen_address}" in cmd
        assert "--config.file=/etc/prometheus/prometheus.yml" in cmd


def test_generated_files_and_provisioning_are_mounted_read_only(rendered):
    _, files, doc = rendered
    mounts = [m for s in doc["services"].values() for m in s.get("volumes", []) if isinstance(m, str) and m.startswith("./")]
    assert mounts and all(m.endswith(":ro") for m in mounts), mounts
    sources = {m.split(":")[0][2:] for m in mounts}
    # Every mounted file or directory is one sfmon renders next to docker-compose.yml. The
    # dashboards directory may be empty (a spec without dashboards): it is still mounted, so
    # Grafana's file provider finds the path it is configured with.
    for src in sources - {"grafana/dashboards"}:
        assert src in files or any(f.startswith(src + "/") for f in files), src
    # Everything Prometheus, Alertmanager and Grafana read is mounted.
    configs = [rel for rel in files if rel == "prometheus.yml" or re.fullmatch(r"prometheus-replica-\d+\.yml", rel)]
    prom = yaml.load(files[configs[0]])
    assert {*configs, "alertmanager.yml", *prom["rule_files"]} <= sources
    assert {"grafana/provisioning", "grafana/dashboards"} <= sources
    provider = yaml.load(files["grafana/provisioning/dashboards/sfmon.yml"])["providers"][0]
    grafana_mounts = dict(m.split(":")[:2] for m in doc["services"]["grafana"]["volumes"] if m.startswith("./"))
    assert grafana_mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert grafana_mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


def test_secrets_reach_the_paths_the_configs_read(rendered):
    spec, _, doc = rendered
    for svc in services(doc, "alertmanager"):
        assert {s["target"] for s in svc.get("secrets", [])} == set(secret_files(spec))
    declared = doc.get("secrets", {})
    for service in doc["services"].values():
        for s in service.get("secrets", []):
            assert s["source"] in declared and declared[s["source"]]["file"].startswith("./secrets/")


def test_grafana_admin_password_is_never_a_default(rendered):
    spec, _, doc = rendered
    env = doc["services"]["grafana"]["environment"]
    if spec.grafana.admin_password_file:
        assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == spec.grafana.admin_password_file
        assert "GF_SECURITY_ADMIN_PASSWORD" not in env
        targets = {s["target"] for s in doc["services"]["grafana"]["secrets"]}
        assert spec.grafana.admin_password_file in targets
    else:
        # ${VAR:?message}: Compose refuses to start when the variable is unset or empty.
        name = spec.grafana.admin_password_env
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", env["GF_SECURITY_ADMIN_PASSWORD"])
        assert "GF_SECURITY_ADMIN_PASSWORD__FILE" not in env
    assert env["GF_SECURITY_ADMIN_USER"] == spec.grafana.admin_user
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"


# --- HA: replicas and cluster peers ------------------------------------------------------------


def test_one_prometheus_service_per_replica_each_with_its_own_config():
    loaded = load(SPECS["operator"])
    files, spec = render(loaded), loaded.spec
    doc = yaml.load(files["docker-compose.yml"])
    names = spec.prometheus.replica_names()
    assert len(names) == spec.prometheus.replicas == 2
    ports, configs = set(), []
    for i, name in enumerate(names):
        svc = doc["services"][name]
        own = f"./prometheus-replica-{i}.yml:/etc/prometheus/prometheus.yml:ro"
        assert svc["volumes"][0] == own
        assert f"{name}-data:/prometheus" in svc["volumes"] and f"{name}-data" in doc["volumes"]
        assert svc["networks"]["default"]["aliases"] == ["prometheus"]  # Grafana's datasource URL
        ports.add(svc["ports"][0].split(":")[0])
        configs.append(yaml.load(files[f"prometheus-replica-{i}.yml"]))
    assert len(ports) == len(names)
    # the replicas' files differ only in the replica label, whose values differ
    labels = [c["global"]["external_labels"].pop(spec.prometheus.replica_label) for c in configs]
    assert labels == names
    assert all(c == configs[0] for c in configs)
    assert configs[0]["global"]["external_labels"] == dict(spec.prometheus.external_labels)
    assert "prometheus.yml" not in files and "prometheus" not in doc["services"]


def test_alertmanager_peers_know_each_other_and_prometheus_sends_to_each():
    loaded = load(SPECS["operator"])
    files, spec = render(loaded), loaded.spec
    doc = yaml.load(files["docker-compose.yml"])
    peers = spec.alertmanager.peer_names()
    assert len(peers) == 2
    for name in peers:
        cmd = doc["services"][name]["command"]
        assert "--cluster.listen-address=0.0.0.0:9094" in cmd
        assert sorted(c for c in cmd if c.startswith("--cluster.peer=")) == [f"--cluster.peer={p}:9094" for p in peers if p != name]
    prom = yaml.load(files["prometheus-replica-0.yml"])
    assert prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [f"{p}:9093" for p in peers]


def test_one_alertmanager_has_no_cluster_flags():
    doc = yaml.load(render(load(SPEC))["docker-compose.yml"])
    assert not [c for c in doc["services"]["alertmanager"]["command"] if c.startswith("--cluster.")]


def test_remote_write_credentials_are_files_mounted_as_secrets():
    loaded = load(SPECS["operator"])
    files, spec = render(loaded), loaded.spec
    doc = yaml.load(files["docker-compose.yml"])
    rw = yaml.load(files["prometheus-replica-1.yml"])["remote_write"]
    assert [w["url"] for w in rw] == [w.url for w in spec.prometheus.remote_write]
    first = rw[0]
    assert first["basic_auth"] == {"username": "shop", "password_file": "/run/secrets/mimir_password"}
    assert first["queue_config"]["max_shards"] == 50 and first["queue_config"]["batch_send_deadline"] == "5s"
    for name in spec.prometheus.replica_names():
        targets = {s["target"] for s in doc["services"][name]["secrets"]}
        assert {"/run/secrets/mimir_password", "/run/secrets/mimir-ca.crt"} <= targets


def test_replicas_and_peers_never_share_a_host_port():
    loaded = load(SPECS["operator"], sets=("prometheus.replicas=6", "alertmanager.replicas=3"))
    doc = yaml.load(render(loaded)["docker-compose.yml"])
    published = [p.split(":")[0] for svc in doc["services"].values() for p in svc.get("ports", [])]
    assert len(published) == 6 + 3 + 1 and len(set(published)) == len(published), published
    assert doc["services"]["prometheus-0"]["ports"] == ["9090:9090"] and doc["services"]["alertmanager-0"]["ports"] == ["9093:9093"]

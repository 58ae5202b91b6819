"""HA and remote storage (config only): Prometheus replicas differing only in the replica
label, remote_write with its queue and file credentials, accepted by the real promtool; a
replica label that a target label would hide, and inline credentials, are refused, placed
(the invalid corpus holds those cases; here the refusals are checked against the loader)."""

from __future__ import annotations

import subprocess

import pytest

from conftest import FIXTURES, run_sfmon
from sfmon.pipeline import load, load_and_check, render
from sfmon.tools.standins import prepare

OPERATOR = FIXTURES / "specs" / "valid" / "operator.yaml"


def test_each_replica_config_passes_promtool_check_config(tmp_path, promtool):
    files = render(load(OPERATOR))
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert "/run/secrets/mimir_password" in prepare(tmp_path)  # remote_write's files get stand-ins too
    replicas = sorted(p.name for p in tmp_path.glob("prometheus-replica-*.yml"))
    assert replicas == ["prometheus-replica-0.yml", "prometheus-replica-1.yml"]
    for rel in replicas:
        run = subprocess.run([promtool, "check", "config", rel], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "SUCCESS" in run.stdout + run.stderr


def test_promtool_refuses_a_queue_it_cannot_run(tmp_path, promtool):
    """The referee works: promtool reads queue_config (an unknown key in it fails)."""
    text = render(load(OPERATOR))["prometheus-replica-0.yml"].replace("max_shards:", "max_shardz:")
    (tmp_path / "p.yml").write_text(text)
    run = subprocess.run([promtool, "check", "config", "--syntax-only", "p.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "max_shardz" in run.stdout + run.stderr


def test_sfmon_validate_accepts_the_ha_spec(tmp_path, promtool, amtool):
    out = tmp_path / "out"
    gen = run_sfmon("generate", "--spec", str(OPERATOR), "--out", str(out))
    assert gen.returncode == 0, gen.stderr
    run = run_sfmon("validate", "--spec", str(OPERATOR), "--out", str(out), timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def _problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    _, problems = load_and_check(path)
    return [f"{p.line}:{p.column}: {p.message}" for p in problems if p.severity.name == "ERROR"]


BASE = """version: 1
project: ha
prometheus:
  replicas: {replicas}
  {extra}
targets:
  - {{name: api, addresses: ["api:8000"], labels: {{replica: a}}}}
receivers:
  - {{name: team, webhook: {{url: "http://127.0.0.1:5001/"}}}}
routing:
  receiver: team
grafana:
  admin_password_file: /run/secrets/grafana
"""


def test_replica_label_hidden_by_a_target_label_is_refused_only_with_replicas(tmp_path):
    assert _problems(tmp_path, BASE.format(replicas=2, extra="")) == [
        "7:51: targets[0].labels.replica: the label 'replica' is prometheus.replica_label: "
        "the target's value would hide each replica's, so the replicas' series would not differ"
    ]
    assert _problems(tmp_path, BASE.format(replicas=1, extra="")) == []  # one server: no replica label
    assert _problems(tmp_path, BASE.format(replicas=2, extra="replica_label: prom_replica")) == []


@pytest.mark.parametrize(
    "extra,message",
    [
        ("remote_write: [{url: 'https://u:p@mimir/api/v1/push'}]", "credentials in a URL are not allowed"),
        ("remote_write: [{url: 'https://mimir/push', basic_auth: {username: u, password: p}}]", "password"),
        ("remote_write: [{url: 'https://mimir/push', bearer_token: abc}]", "bearer_token"),
        ("external_labels: {replica: x}", "also in external_labels"),
    ],
)
def test_inline_credentials_and_a_shared_replica_label_are_refused(tmp_path, extra, message):
    problems = _problems(tmp_path, BASE.format(replicas=2, extra=extra).replace(", labels: {replica: a}", ""))
    assert len(problems) == 1 and message in problems[0], problems

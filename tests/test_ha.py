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


# The receiver, routing and Grafana every spec of this module shares (a str.format template).
TAIL = """receivers:
  - {{name: team, webhook: {{url: "http://127.0.0.1:5001/"}}}}
routing:
  receiver: team
grafana:
  admin_password_file: /run/secrets/grafana
"""


BASE = """version: 1
project: ha
prometheus:
  replicas: {replicas}
  {extra}
targets:
  - {{name: api, addresses: ["api:8000"], labels: {{replica: a}}}}
""" + TAIL


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


# Queue settings out of order, each side unset meaning Prometheus' default: what Prometheus
# 3.16's config loader refuses (config/config.go, the queue_config checks; 2.42 and 3.5 accept
# them), checked below against that promtool, and what it accepts. sfmon refuses them for
# every release: the settings say nothing a server could follow.
QUEUES = [
    ({"min_shards": 150}, "min_shards 150 is above max_shards 50 (Prometheus' default)"),
    ({"min_shards": 20, "max_shards": 10}, "min_shards 20 is above max_shards 10"),
    ({"min_backoff": "10s"}, "min_backoff 10s is longer than max_backoff 5s (Prometheus' default)"),
    ({"min_backoff": "5s", "max_backoff": "1s"}, "min_backoff 5s is longer than max_backoff 1s"),
    ({"max_shards": 1}, None),
    ({"min_shards": 50}, None),
    ({"max_backoff": "30ms"}, None),
    ({"capacity": 10, "max_samples_per_send": 2000}, None),
]


def _queue_spec(queue: dict) -> str:
    import json

    return BASE.format(replicas=1, extra=f"remote_write: [{{url: 'http://v:8428/w', queue: {json.dumps(queue)}}}]")


@pytest.mark.parametrize("queue,message", QUEUES, ids=lambda v: str(v))
def test_queue_order_is_refused_as_prometheus_refuses_it(tmp_path, queue, message):
    problems = _problems(tmp_path, _queue_spec(queue))
    if message is None:
        assert problems == []
    else:
        assert len(problems) == 1 and message in problems[0], problems


@pytest.mark.matrix("newest")
def test_newest_promtool_agrees_on_queue_order(tmp_path, promtool, toolset):
    from sfmon.semantics.versions import Version, parse_version

    version = parse_version(toolset.name.rpartition("-")[2]) if toolset.name.startswith("prom-") else None
    checks_order = version is not None and version >= Version(3, 16)  # before 3.16 promtool accepts any order (sfmon follows 3.16)
    for i, (queue, message) in enumerate(QUEUES):
        lines = "".join(f"\n      {k}: {v}" for k, v in queue.items())
        (tmp_path / f"q{i}.yml").write_text(f"remote_write:\n  - url: http://v:8428/w\n    queue_config:{lines}\n")
        run = subprocess.run([promtool, "check", "config", "--syntax-only", f"q{i}.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert (run.returncode == 0) == (message is None or not checks_order), (queue, run.stdout + run.stderr)


def test_health_reads_the_rules_from_a_replica_config():
    """`sfmon health` expects the rules the replicas load (they share alerts.yml)."""
    from sfmon.tools.health import expected_rules

    loaded = load(OPERATOR)
    groups = expected_rules(render(loaded))
    assert sum(len(v) for v in groups.values()) == sum(len(a.alert_rules()) for _, a in loaded.spec.enabled_alerts())
    assert set(groups) == {"shop", "slo"}


@pytest.mark.parametrize("label", ["replica", "prom_replica"])
def test_replicas_send_alerts_without_the_replica_label(tmp_path, label):
    """Each replica drops the replica label from the alerts it sends (alert relabelling runs
    after external labels are attached: Prometheus' docs/configuration/configuration.md,
    `<alert_relabel_configs>`, "ensuring a HA pair ... send identical alerts"). Without it the
    cluster sees one alert per replica: each notification lists it twice, and a killed
    replica's copy stays firing until its end time (minutes) after the fault heals, so no
    resolved notification; the failover drill (tests/live/test_failover_live.py) shows both.
    One server has no replica label and drops nothing."""
    from ruamel.yaml import YAML

    text = BASE.format(replicas=2, extra=f"replica_label: {label}").replace("labels: {replica: a}", "labels: {team: a}")
    (tmp_path / "spec.yaml").write_text(text)
    files = render(load(tmp_path / "spec.yaml"))
    for i in range(2):
        config = YAML(typ="safe").load(files[f"prometheus-replica-{i}.yml"])
        assert config["global"]["external_labels"][label] == f"prometheus-{i}"
        assert config["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": label}]
    (tmp_path / "spec.yaml").write_text(BASE.format(replicas=1, extra="").replace("labels: {replica: a}", "labels: {team: a}"))
    assert "alert_relabel_configs" not in YAML(typ="safe").load(render(load(tmp_path / "spec.yaml"))["prometheus.yml"])["alerting"]


PEERS = """version: 1
project: ha
prometheus:
  {alertmanagers}
alertmanager: {{replicas: 2}}
targets:
  - {{name: api, addresses: ["api:8000"]}}
""" + TAIL


@pytest.mark.parametrize(
    "alertmanagers,warned",
    [
        ('alertmanagers: ["alertmanager:9093"]', ["4:19: prometheus.alertmanagers[0]: 'alertmanager' is the network alias of all 2 Alertmanager peers"]),
        ('alertmanagers: ["alertmanager-1:9093"]', ["4:18: prometheus.alertmanagers: names 1 of the 2 Alertmanager peers, not alertmanager-0"]),
        ('alertmanagers: ["alertmanager-0:9093", "alertmanager-1:9093"]', []),
        ('alertmanagers: ["am.example.com:9093"]', []),  # Alertmanagers run elsewhere: not sfmon's peers
        ("scrape_interval: 15s", []),  # no list: sfmon sends to every peer
    ],
)
def test_alertmanagers_that_miss_a_peer_are_warned_of(tmp_path, alertmanagers, warned):
    (tmp_path / "spec.yaml").write_text(PEERS.format(alertmanagers=alertmanagers))
    _, problems = load_and_check(tmp_path / "spec.yaml")
    got = [f"{p.line}:{p.column}: {p.message}" for p in problems if p.check == "alertmanager/peers"]
    assert len(got) == len(warned) and all(g.startswith(w) for g, w in zip(got, warned)), got
    assert all(p.severity.name == "WARNING" for p in problems if p.check == "alertmanager/peers")

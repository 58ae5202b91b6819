"""Write a benchmark spec: `python bench/make_spec.py {small,5k,50k,teams} OUTPUT_FILE`.

small is the default spec (specs/specs.yaml) as is. 5k is an organisation of 1,000
targets, 5,000 alerts (every kind, raw `expr` too), 100 dashboards of 10 panels, a
receiver and a route per team; 50k is ten times that. Targets cycle through four
exporters (API, PostgreSQL, Redis, node); each gets five alerts on metrics from its own
catalog, so the spec stays valid under catalog cross-checks too.

teams is an organisation split by team (docs/teams.md): OUTPUT_FILE is the root spec
(settings, shared receivers, the fallback route, three environments), beside it teams/
holds 10 team files of 65 targets, 325 alerts, a receiver, routes and 10 dashboards each
(3,250 alerts in all), and environments/ the dev, staging and prod overlays (dev switches
100 alerts off, staging loosens 65 error thresholds).

Standard library only, so it runs with any python3. Output is deterministic.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "specs" / "specs.yaml"

# size -> (targets, dashboards); alerts are 5 per target, panels 10 per dashboard.
SIZES = {"5k": (1_000, 100), "50k": (10_000, 1_000)}
TARGETS_PER_TEAM = 50
ALERTS_PER_TARGET = 5

CATALOGS = {
    "softfactory-api": [
        {"name": "http_requests_total", "type": "counter", "labels": ["endpoint", "method", "status"]},
        {"name": "http_request_duration_seconds", "type": "histogram", "labels": ["endpoint", "method"]},
        {"name": "db_query_duration_ms", "type": "histogram", "labels": ["operation"]},
        {"name": "cache_hits", "type": "counter"},
        {"name": "cache_misses", "type": "counter"},
        {"name": "process_memory_mb", "type": "gauge"},
    ],
    "postgres-exporter": [
        {"name": "pg_up", "type": "gauge"},
        {"name": "pg_stat_activity_count", "type": "gauge", "labels": ["datname", "state"]},
        {"name": "pg_settings_max_connections", "type": "gauge"},
        {"name": "pg_stat_database_deadlocks", "type": "counter", "labels": ["datname"]},
        {"name": "pg_stat_database_xact_commit", "type": "counter", "labels": ["datname"]},
    ],
    "redis-exporter": [
        {"name": "redis_up", "type": "gauge"},
        {"name": "redis_connected_clients", "type": "gauge"},
        {"name": "redis_memory_used_bytes", "type": "gauge"},
        {"name": "redis_keyspace_hits_total", "type": "counter"},
        {"name": "redis_keyspace_misses_total", "type": "counter"},
    ],
    "node-exporter": [
        {"name": "node_cpu_seconds_total", "type": "counter", "labels": ["cpu", "mode"]},
        {"name": "node_memory_MemAvailable_bytes", "type": "gauge"},
        {"name": "node_memory_MemTotal_bytes", "type": "gauge"},
        {"name": "node_filesystem_avail_bytes", "type": "gauge", "labels": ["mountpoint", "fstype"]},
    ],
}

# Exporter kind -> (catalog, port); targets cycle through these.
KINDS = [("api", "softfactory-api", 8000), ("pg", "postgres-exporter", 9187), ("redis", "redis-exporter", 9121), ("node", "node-exporter", 9100)]
SEVERITIES = ["critical", "warning", "warning", "info"]
FORS = ["1m", "5m", "10m"]
RECEIVER_TYPES = ["slack", "email", "webhook", "pagerduty"]


# --- a tiny YAML emitter: flow mappings, bare scalars where YAML reads them as strings ---

_PLAIN = re.compile(r"^(?:[A-Za-z_/][A-Za-z0-9_./@-]*|\d+(?:ms|[smhdwy])|\d+(?:\.\d+)?%)$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if _PLAIN.match(value) and value.lower() not in _RESERVED and not value.endswith(":"):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value).__name__)


# --- the parts of the spec ------------------------------------------------------------


def team(i: int) -> str:
    return f"team-{i // TARGETS_PER_TEAM:03d}"


def target(i: int) -> dict[str, Any]:
    kind, catalog, port = KINDS[i % len(KINDS)]
    name = f"{kind}-{i:05d}"
    t: dict[str, Any] = {"name": name, "addresses": [f"{name}:{port}"], "catalog": catalog}
    t["labels"] = {"team": team(i), "service": kind}
    if kind == "api":
        t["health_path"] = "/health"
    return t


def alerts(i: int) -> list[dict[str, Any]]:
    """Five alerts on target i, from the metrics its exporter has."""
    kind = KINDS[i % len(KINDS)][0]
    job = f"{kind}-{i:05d}"
    n = i % 10  # vary thresholds so rules differ
    common = lambda k: {  # noqa: E731
        "severity": SEVERITIES[(i + k) % len(SEVERITIES)],
        "for": FORS[(i + k) % len(FORS)],
        "group": job,
        "labels": {"team": team(i)},
        "runbook_url": f"https://runbooks.example.com/{job}",
    }
    cap = "".join(p.capitalize() for p in job.split("-"))
    if kind == "api":
        specs = [
            {"kind": "error_ratio", "errors": 'http_requests_total{status=~"5.."}', "total": "http_requests_total", "above": f"{1 + n}%",
             "summary": "{{ $labels.job }}: more than " + f"{1 + n}% of requests fail"},
            {"kind": "latency_quantile", "histogram": "http_request_duration_seconds", "above": f"{250 + 50 * n}ms",
             "summary": "{{ $labels.job }} p95 latency is {{ $value | humanizeDuration }}"},
            {"kind": "slow_events", "histogram": "db_query_duration_ms", "unit": "milliseconds", "slower_than": "1s", "above": 5 + n,
             "summary": "{{ $value }} slow queries on {{ $labels.job }}"},
            {"kind": "ratio", "numerator": "cache_hits_total", "denominator": ["cache_hits_total", "cache_misses_total"], "window": "5m",
             "below": f"{60 + n}%", "summary": "cache hit ratio below " + f"{60 + n}%"},
            {"kind": "threshold", "metric": "process_memory_mb", "above": 512 + 64 * n, "summary": "memory above {{ $value }} MB"},
        ]
    elif kind == "pg":
        specs = [
            {"kind": "target_down", "metric": "pg_up", "summary": "PostgreSQL behind {{ $labels.instance }} is down"},
            {"kind": "ratio", "numerator": "pg_stat_activity_count", "denominator": ["pg_settings_max_connections"], "above": f"{75 + n}%",
             "summary": "connection pool {{ $value | humanizePercentage }} full"},
            {"kind": "threshold", "metric": "pg_stat_database_deadlocks_total", "window": "10m", "by": ["job"], "aggregate": "sum", "above": 0.1,
             "summary": "deadlocks on {{ $labels.job }}"},
            {"kind": "expr", "expr": f'sum by (job) (rate(pg_stat_database_xact_commit_total{{job="{job}"}}[10m])) == 0',
             "summary": "no transactions committed for 10 minutes"},
            {"kind": "threshold", "metric": "pg_stat_activity_count", "by": ["job"], "aggregate": "sum", "above": 100 + 10 * n, "summary": "many connections"},
        ]
    elif kind == "redis":
        specs = [
            {"kind": "target_down", "metric": "redis_up", "summary": "Redis behind {{ $labels.instance }} is down"},
            {"kind": "ratio", "numerator": "redis_keyspace_hits_total", "denominator": ["redis_keyspace_hits_total", "redis_keyspace_misses_total"],
             "window": "5m", "below": f"{50 + n}%", "summary": "keyspace hit ratio low"},
            {"kind": "threshold", "metric": "redis_memory_used_bytes", "above": (1 + n) * 2**30, "summary": "Redis memory high"},
            {"kind": "threshold", "metric": "redis_connected_clients", "above": 500 + n, "summary": "many Redis clients"},
            {"kind": "expr", "expr": f'delta(redis_connected_clients{{job="{job}"}}[5m]) > {50 + n}', "summary": "client count jumps"},
        ]
    else:
        specs = [
            {"kind": "target_down", "summary": "node exporter {{ $labels.instance }} is unreachable"},
            {"kind": "ratio", "numerator": "node_memory_MemAvailable_bytes", "denominator": ["node_memory_MemTotal_bytes"], "below": f"{5 + n}%",
             "summary": "memory almost exhausted"},
            {"kind": "threshold", "metric": 'node_filesystem_avail_bytes{mountpoint="/"}', "by": ["job"], "aggregate": "min", "below": (1 + n) * 2**30,
             "summary": "root filesystem almost full"},
            {"kind": "expr", "expr": f'1 - avg by (job) (rate(node_cpu_seconds_total{{job="{job}",mode="idle"}}[5m])) > 0.{80 + n}',
             "summary": "CPU busy"},
            {"kind": "threshold", "metric": 'node_cpu_seconds_total{mode="iowait"}', "window": "5m", "by": ["job"], "aggregate": "avg", "above": 0.2,
             "summary": "high iowait"},
        ]
    out = []
    for k, s in enumerate(specs):
        kind_ = s.pop("kind")
        a = {"name": f"{cap}{kind_.title().replace('_', '')}{k}", "kind": kind_, "target": job, **common(k), **s}
        out.append(a)
    return out


def panel(i: int) -> dict[str, Any]:
    """One panel about target i; panels of alertable metrics show the alert's threshold."""
    kind = KINDS[i % len(KINDS)][0]
    job = f"{kind}-{i:05d}"
    sel = f'{{job="{job}"}}'
    cap = "".join(p.capitalize() for p in job.split("-"))
    if kind == "api":
        return {"title": f"{job} error ratio",
                "expr": f'sum(rate(http_requests_total{{job="{job}",status=~"5.."}}[5m])) / sum(rate(http_requests_total{sel}[5m]))',
                "unit": "percentunit", "show_alert": f"{cap}ErrorRatio0", "width": 8}
    if kind == "pg":
        return {"title": f"{job} connections", "type": "gauge",
                "expr": f"sum(pg_stat_activity_count{sel}) / sum(pg_settings_max_connections{sel})",
                "unit": "percentunit", "min": 0, "max": 1, "show_alert": f"{cap}Ratio1", "width": 8}
    if kind == "redis":
        return {"title": f"{job} memory", "expr": f"sum(redis_memory_used_bytes{sel})", "unit": "bytes",
                "show_alert": f"{cap}Threshold2", "width": 8}
    return {"title": f"{job} load", "type": "stat", "expr": f'avg(rate(node_cpu_seconds_total{{job="{job}",mode!="idle"}}[5m]))',
            "unit": "percentunit", "width": 8, "thresholds": [{"value": 0.7, "color": "orange"}, {"value": 0.9, "color": "red"}]}


def dashboard(d: int, n_targets: int, n_dashboards: int) -> list[str]:
    """Dashboard d: ten panels (two rows of five) on ten targets spread over the fleet."""
    first = d * (n_targets // n_dashboards)
    ids = [first + k for k in range(10)]
    lines = [f"  - uid: fleet-{d:04d}", f"    title: Fleet slice {d}", f"    tags: [bench, {team(first)}]", "    rows:"]
    for r, chunk in enumerate((ids[:5], ids[5:])):
        lines += [f"      - title: Part {r + 1}", "        panels:"]
        lines += [f"          - {scalar(panel(i))}" for i in chunk]
    return lines


def receivers_and_routing(n_teams: int) -> list[str]:
    lines = [
        "receivers:",
        "  - name: ops-email",
        "    email: {to: [ops@example.com], from: alerts@example.com, smarthost: 'smtp.example.com:587', auth_password_file: /run/secrets/smtp_password}",
        "  - name: pagerduty",
        "    pagerduty: {routing_key_file: /run/secrets/pagerduty_routing_key}",
    ]
    for t in range(n_teams):
        name = f"team-{t:03d}"
        kind = RECEIVER_TYPES[t % len(RECEIVER_TYPES)]
        lines.append(f"  - name: {name}-{kind}")
        if kind == "slack":
            lines.append(f'    slack: {{channel: "#{name}-alerts", api_url_file: /run/secrets/slack_{name}}}')
        elif kind == "email":
            lines.append(f"    email: {{to: [{name}@example.com], from: alerts@example.com, smarthost: 'smtp.example.com:587'}}")
        elif kind == "webhook":
            lines.append(f"    webhook: {{url: 'https://hooks.example.com/{name}', bearer_token_file: /run/secrets/webhook_{name}}}")
        else:
            lines.append(f"    pagerduty: {{routing_key_file: /run/secrets/pagerduty_{name}}}")
    lines += [
        "",
        "routing:",
        "  receiver: ops-email",
        "  group_by: [alertname, job]",
        "  routes:",
        "    - {match: {severity: critical}, notify: [pagerduty], continue: true, repeat_interval: 1h}",
    ]
    for t in range(n_teams):
        name = f"team-{t:03d}"
        lines.append(f"    - {{match: {{team: {name}}}, notify: [{name}-{RECEIVER_TYPES[t % len(RECEIVER_TYPES)]}]}}")
    lines += ["  inhibit:", "    - {source: {severity: critical}, target: {severity: warning}, equal: [job]}"]
    return lines


def make(n_targets: int, n_dashboards: int) -> str:
    n_teams = -(-n_targets // TARGETS_PER_TEAM)
    lines = [
        f"# Benchmark spec: {n_targets} targets, {n_targets * ALERTS_PER_TARGET} alerts, {n_dashboards} dashboards.",
        "# Written by bench/make_spec.py; do not edit.",
        "version: 1",
        "project: bench",
        "",
        "prometheus: {scrape_interval: 30s, scrape_timeout: 10s, evaluation_interval: 30s, retention: 15d, external_labels: {cluster: bench}}",
        "",
        "catalogs:",
    ]
    for name, families in CATALOGS.items():
        lines.append(f"  {name}:")
        lines += [f"    - {scalar(f)}" for f in families]
    lines += ["", "targets:"]
    lines += [f"  - {scalar(target(i))}" for i in range(n_targets)]
    lines += ["", "alerts:"]
    for i in range(n_targets):
        lines += [f"  - {scalar(a)}" for a in alerts(i)]
    lines += [""] + receivers_and_routing(n_teams) + ["", "dashboards:"]
    for d in range(n_dashboards):
        lines += dashboard(d, n_targets, n_dashboards)
    lines += ["", "grafana: {admin_password_file: /run/secrets/grafana_admin_password}", ""]
    return "\n".join(lines)


N_TEAMS, TEAM_TARGETS, TEAM_DASHBOARDS = 10, 65, 10
ENVIRONMENTS = ("dev", "staging", "prod")


def make_teams(root: Path) -> None:
    """The `teams` size: a root spec at `root`, teams/*.yaml and environments/*.yaml beside it."""
    n_targets, n_dashboards = N_TEAMS * TEAM_TARGETS, N_TEAMS * TEAM_DASHBOARDS
    (root.parent / "teams").mkdir(parents=True, exist_ok=True)
    (root.parent / "environments").mkdir(parents=True, exist_ok=True)
    disabled: list[str] = []
    loosened: list[str] = []
    for t in range(N_TEAMS):
        name = f"team-{t:03d}"
        kind = RECEIVER_TYPES[t % len(RECEIVER_TYPES)]
        lines = [f"# Team {name}: {TEAM_TARGETS} targets, {TEAM_TARGETS * ALERTS_PER_TARGET} alerts. Written by bench/make_spec.py.", "targets:"]
        ids = range(t * TEAM_TARGETS, (t + 1) * TEAM_TARGETS)
        for i in ids:
            tg = target(i)
            tg["labels"]["team"] = name
            lines.append(f"  - {scalar(tg)}")
        lines.append("alerts:")
        for i in ids:
            for a in alerts(i):
                a["labels"] = {"team": name}
                lines.append(f"  - {scalar(a)}")
                if len(disabled) < 10 * (t + 1) and a["severity"] == "info":
                    disabled.append(a["name"])
                if a["kind"] == "error_ratio" and len(loosened) < 65:
                    loosened.append(a["name"])
        lines.append("receivers:")
        if kind == "slack":
            lines.append(f'  - {{name: {name}-{kind}, slack: {{channel: "#{name}-alerts", api_url_file: /run/secrets/slack_{name}}}}}')
        elif kind == "email":
            lines.append(f"  - {{name: {name}-{kind}, email: {{to: [{name}@example.com], from: alerts@example.com, smarthost: 'smtp.example.com:587'}}}}")
        elif kind == "webhook":
            lines.append(f"  - {{name: {name}-{kind}, webhook: {{url: 'https://hooks.example.com/{name}', bearer_token_file: /run/secrets/webhook_{name}}}}}")
        else:
            lines.append(f"  - {{name: {name}-{kind}, pagerduty: {{routing_key_file: /run/secrets/pagerduty_{name}}}}}")
        lines += ["routes:", f"  - {{match: {{team: {name}, severity: critical}}, notify: [{name}-{kind}, pagerduty]}}",
                  f"  - {{match: {{team: {name}}}, notify: [{name}-{kind}]}}", "dashboards:"]
        for d in range(t * TEAM_DASHBOARDS, (t + 1) * TEAM_DASHBOARDS):
            lines += dashboard(d, n_targets, n_dashboards)
        (root.parent / "teams" / f"{name}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    head = [
        f"# Benchmark spec: {N_TEAMS} team files, {n_targets * ALERTS_PER_TARGET} alerts, {len(ENVIRONMENTS)} environments.",
        "# Written by bench/make_spec.py; do not edit.",
        "version: 1",
        "project: bench",
        "include: [teams/*.yaml]",
        "environments: {" + ", ".join(f"{e}: {{}}" for e in ENVIRONMENTS) + "}",
        "prometheus: {scrape_interval: 30s, scrape_timeout: 10s, evaluation_interval: 30s, retention: 15d, external_labels: {cluster: bench}}",
        "catalogs:",
    ]
    for cname, families in CATALOGS.items():
        head.append(f"  {cname}:")
        head += [f"    - {scalar(f)}" for f in families]
    head += [
        "receivers:",
        "  - {name: ops-email, shared: true, email: {to: [ops@example.com], from: alerts@example.com, smarthost: 'smtp.example.com:587', auth_password_file: /run/secrets/smtp_password}}",
        "  - {name: pagerduty, shared: true, pagerduty: {routing_key_file: /run/secrets/pagerduty_routing_key}}",
        "routing:",
        "  receiver: ops-email",
        "  group_by: [alertname, job]",
        "  routes:",
        "    - {match: {severity: critical}, notify: [pagerduty], repeat_interval: 1h}",
        "  inhibit:",
        "    - {source: {severity: critical}, target: {severity: warning}, equal: [job]}",
        "grafana: {admin_password_file: /run/secrets/grafana_admin_password}",
    ]
    root.write_text("\n".join(head) + "\n", encoding="utf-8")
    envs = {
        "dev": ["prometheus: {scrape_interval: 60s, external_labels: {cluster: bench, env: dev}}", "alerts:"]
        + [f"  - {{name: {n}, enabled: false}}" for n in disabled],
        "staging": ["prometheus: {external_labels: {cluster: bench, env: staging}}", "alerts:"]
        + [f"  - {{name: {n}, above: 20%}}" for n in loosened],
        "prod": ["prometheus: {external_labels: {cluster: bench, env: prod}}"],
    }
    for env, lines in envs.items():
        (root.parent / "environments" / f"{env}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("small", "teams", *SIZES):
        print(f"usage: make_spec.py {{small,{','.join(SIZES)},teams}} OUTPUT_FILE", file=sys.stderr)
        return 2
    size, out = argv[0], Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    if size == "small":
        shutil.copyfile(DEFAULT_SPEC, out)
    elif size == "teams":
        make_teams(out)
    else:
        out.write_text(make(*SIZES[size]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

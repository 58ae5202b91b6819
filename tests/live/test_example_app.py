"""The example app exports exactly the spec's `softfactory-api` catalog: scraped from the
running process and parsed with prometheus_client's own parser."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import SPEC, Proc, free_port, http, wait_until

CATALOG = "softfactory-api"


def catalog(name: str, spec: Path = SPEC) -> list:
    from sfmon.spec.loader import load_spec

    return list(load_spec(spec).catalogs[name])


def disagreements(families: list, text: str) -> list[str]:
    """How an exposition differs from a catalog: missing or extra families, wrong type,
    help, label names or sample names."""
    parsed = {f.name: f for f in text_string_to_metric_families(text)}
    problems = []
    expected = set()
    for fam in families:
        # The parser names a counter family without `_total`, as the client library does.
        name = fam.name[:-6] if fam.type == "counter" and fam.name.endswith("_total") else fam.name
        expected.add(name)
        got = parsed.get(name)
        if got is None:
            problems.append(f"{fam.name}: not exported")
            continue
        if got.type != fam.type:
            problems.append(f"{fam.name}: type {got.type}, catalog says {fam.type}")
        if got.documentation != (fam.help or fam.name):
            problems.append(f"{fam.name}: help {got.documentation!r}, catalog says {fam.help!r}")
        if not got.samples:
            problems.append(f"{fam.name}: no samples")
        allowed = set(fam.series_names())
        if fam.type == "counter":  # the parser names every counter sample <family>_total
            allowed.add(f"{name}_total")
        for s in got.samples:
            labels = set(s.labels) - {"le", "quantile"}
            if labels != set(fam.labels):
                problems.append(f"{fam.name}: sample {s.name} has labels {sorted(labels)}, catalog says {sorted(fam.labels)}")
                break
            if s.name not in allowed:
                problems.append(f"{fam.name}: sample {s.name} is not one of {fam.series_names()}")
                break
    # `<counter>_created` timestamps come as gauge families of their own in this format.
    created = {f"{n}_created" for n in expected}
    extra = set(parsed) - expected - created
    if extra:
        problems.append(f"exported but not in the catalog: {sorted(extra)}")
    return problems


@pytest.fixture
def app_url(tmp_path: Path):
    port = free_port()
    proc = Proc("app", [sys.executable, "-m", "examples.softfactory_app", "--port", str(port)], tmp_path).start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http("GET", url + "/health", timeout=1)[0] == 200, 20, "the app to answer /health")
        yield url
    finally:
        proc.stop()


def exercise(url: str) -> None:
    """One request of each kind, so every labelled family has a sample."""
    assert http("GET", url + "/api/users")[0] == 200
    assert http("POST", url + "/api/orders", {"item": 1})[0] == 201
    assert http("POST", url + "/api/login", {"user": "ada", "password": "lovelace"})[0] == 200
    assert http("POST", url + "/api/login", {"user": "ada", "password": "nope"})[0] == 401
    assert http("POST", url + "/api/signup", {"user": "grace"})[0] == 201
    assert http("POST", url + "/api/notify", {"channel": "slack"})[0] == 200
    assert http("POST", url + "/control", {"latency_ms": 1050})[0] == 200  # one slow request
    assert http("GET", url + "/api/users")[0] == 200
    assert http("POST", url + "/control", {"latency_ms": 0})[0] == 200


def test_running_app_exports_every_cataloged_family(app_url: str) -> None:
    exercise(app_url)
    status, body = http("GET", app_url + "/metrics")
    assert status == 200
    families = catalog(CATALOG)
    assert len(families) == 16
    assert disagreements(families, body.decode()) == []


def test_control_switches_faults_at_run_time(app_url: str) -> None:
    status, body = http("POST", app_url + "/control", {"error_ratio": 0.5, "latency_ms": 50})
    assert status == 200
    codes = [http("GET", app_url + "/api/users")[0] for _ in range(4)]
    assert sorted(codes) == [200, 200, 500, 500]
    assert http("POST", app_url + "/control", {"healthy": False})[0] == 200
    assert http("GET", app_url + "/health")[0] == 503
    assert http("POST", app_url + "/control", {"nonsense": 1})[0] == 400
    text = http("GET", app_url + "/metrics")[1].decode()
    assert 'http_requests_total{endpoint="/api/users",method="GET",status="500"} 2.0' in text


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("labels: [endpoint, method, status]", "labels: [path, method, status]",
         "http_requests_total: the catalog says counter ['path', 'method', 'status']"),
        ("{name: cache_misses, type: counter,", "{name: cache_misses_total2, type: counter,",
         "cache_misses: the app uses it as"),
        ("{name: app_uptime_seconds, type: gauge,", "{name: app_uptime_seconds, type: counter,",
         "app_uptime_seconds: the catalog says counter"),
    ],
)
def test_app_refuses_a_catalog_it_disagrees_with(tmp_path: Path, old: str, new: str, message: str) -> None:
    """Change the catalog under the app: it stops at start-up and says what differs."""
    from examples.softfactory_app.app import create_app

    spec = tmp_path / "specs.yaml"
    text = SPEC.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))
    with pytest.raises(ValueError, match="disagree") as err:
        create_app(spec)
    assert message in str(err.value)


@pytest.mark.parametrize("name", ["postgres-exporter", "redis-exporter", "elasticsearch-exporter", "node-exporter", "grafana-self"])
def test_stand_in_exporter_serves_its_catalog(name: str) -> None:
    from examples.softfactory_app.exporter import create_exporter

    client = create_exporter([name], SPEC).test_client()
    text = client.get(f"/metrics/{name}").get_data(as_text=True)
    assert disagreements(catalog(name), text) == []
    assert client.post("/control", json={"pg_up": 0}).status_code == (200 if name == "postgres-exporter" else 400)



def test_access_log_and_admin_metrics(tmp_path: Path) -> None:
    """One JSON access-log line per request (time, method, path, status, duration, user), and
    /api/admin/metrics: the counters of /metrics as JSON, only with the token from its file."""
    import json
    import urllib.error
    import urllib.request

    token = tmp_path / "admin-token"
    token.write_text("s3cret-token\n")
    log = tmp_path / "access.log"
    port = free_port()
    args = [sys.executable, "-m", "examples.softfactory_app", "--port", str(port), "--access-log", str(log), "--admin-token-file", str(token)]
    proc = Proc("app", args, tmp_path).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http("GET", url + "/health", timeout=1)[0] == 200, 20, "the app to answer /health")
        assert http("POST", url + "/api/login", {"user": "ada", "password": "lovelace"})[0] == 200
        assert http("POST", url + "/api/notify", {"channel": "slack"})[0] == 200
        assert http("GET", url + "/api/admin/metrics")[0] == 401  # no token

        def admin(bearer: str) -> tuple[int, dict]:
            req = urllib.request.Request(url + "/api/admin/metrics", headers={"Authorization": f"Bearer {bearer}"})
            try:
                with urllib.request.urlopen(req, timeout=3) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                return exc.code, {}

        assert admin("wrong")[0] == 401
        status, summary = admin("s3cret-token")
        assert status == 200
        got = summary["counters"]
        assert got["auth_successful_logins_total"]["total"] == 1
        assert got["notification_sent_total"]["series"] == [{"labels": {"channel": "slack"}, "value": 1.0}]
        # the same numbers as /metrics
        text = http("GET", url + "/metrics")[1].decode()
        assert 'notification_sent_total{channel="slack"} 1.0' in text
        token.write_text("rotated\n")  # read per request
        assert admin("s3cret-token")[0] == 401 and admin("rotated")[0] == 200
    finally:
        proc.stop()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    api = [entry for entry in lines if entry["path"].startswith("/api/")]
    assert [(e["method"], e["path"], e["status"]) for e in api[:3]] == [
        ("POST", "/api/login", 200), ("POST", "/api/notify", 200), ("GET", "/api/admin/metrics", 401),
    ]
    assert api[0]["user"] == "ada" and api[1]["user"] is None
    assert all(set(e) == {"time", "method", "path", "status", "duration_ms", "user"} for e in lines)
    assert all(e["time"].endswith("Z") and e["duration_ms"] >= 0 for e in lines)

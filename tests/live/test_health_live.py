"""`sfmon health` against the running stack: all green; then with Alertmanager stopped,
its checks red, exit 1, every other check still green."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from harness import ROOT, Stack, stack, wait_until  # noqa: F401  (stack is a fixture)

# Live, and version-sensitive: on Debian's servers and the newest Prometheus 3 / Alertmanager build.
pytestmark = [pytest.mark.live, pytest.mark.matrix("newest")]


def health(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    overlays = [a for o in stack.overlays for a in ("--overlay", str(o))]
    return subprocess.run(
        [sys.executable, "-m", "sfmon", "health", "--spec", str(ROOT / "specs" / "specs.yaml"), *overlays, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def report_of(stdout: str) -> dict:
    """The health report among the JSON lines (a spec warning, e.g. a route test of an alert
    the drill switches off, comes first as a line of its own)."""
    decoder, pos, found = json.JSONDecoder(), 0, []
    for _ in range(100):  # a few documents at most
        while pos < len(stdout) and stdout[pos].isspace():
            pos += 1
        if pos >= len(stdout):
            break
        doc, pos = decoder.raw_decode(stdout, pos)
        found.append(doc)
    return next(r for r in found if "checks" in r)


def test_health_is_green_on_the_running_stack_and_red_without_alertmanager(stack: Stack) -> None:
    res = health(stack)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 failed" in res.stdout.splitlines()[-1]
    report = report_of(health(stack, "--format", "json").stdout)
    assert report["ok"] is True
    statuses = {(c["component"], c["check"]): c["status"] for c in report["checks"]}
    assert statuses.pop(("grafana", "api/health")) == "skip"  # no Grafana here: documented as skip
    assert set(statuses.values()) == {"ok"}
    for name in ("prometheus", "alertmanager"):
        assert statuses[(name, "ready")] == "ok"
    assert statuses[("prometheus", "rules loaded")] == statuses[("alertmanager", "config as generated")] == "ok"
    for t in stack.spec.targets:
        assert statuses[(t.name, "up in Prometheus")] == "ok"
    assert statuses[("api", "health")] == statuses[("api", "metrics")] == "ok"

    stack.stop("alertmanager")
    # Wait until Prometheus has noticed too, so the report is stable.
    wait_until(lambda: not stack.all_targets_up(), 10, "Prometheus to see Alertmanager down")
    res = health(stack, "--format", "json")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    checks = report_of(res.stdout)["checks"]
    red = {(c["component"], c["check"]) for c in checks if c["status"] == "fail"}
    assert ("alertmanager", "ready") in red and ("alertmanager", "config as generated") in red
    assert {component for component, _ in red} == {"alertmanager"}, red
    text = health(stack)
    assert text.returncode == 1 and re.search(r"^alertmanager +ready +fail +no answer", text.stdout, re.M)

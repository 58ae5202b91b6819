"""Fault drills against the real stack (tests/live/harness.py): each fault fires the spec's
alert, and exactly the receivers the default routing names get it, once, with the spec's
labels and annotations. Thresholds are the default spec's; only the clock is faster
(tests/live/drill-overlay.yaml)."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from harness import (  # noqa: F401  (stack is a fixture)
    CRITICAL,
    REDIS_EXPORTER,
    REDIS_SERVER,
    WARNING,
    Stack,
    check_notifications,
    get_json,
    require,
    stack,
    wait_until,
    want,
)

# Live, and version-sensitive: on Debian's servers and the newest Prometheus 3 / Alertmanager build.
pytestmark = [pytest.mark.live, pytest.mark.matrix("newest")]

FIRE = 30.0  # seconds: a fault notifies within scrape + window + `for` + group_wait, with room for a busy machine


def verified(stack: Stack, got: list, expected: set) -> None:
    problems = check_notifications(stack.spec, got, expected)
    assert not problems, "\n".join(problems)


def ratio(stack: Stack, query: str) -> float | None:
    result = get_json(stack.url("prometheus", "/api/v1/query?query=") + urllib.parse.quote(query))
    values = result["data"]["result"]
    return float(values[0]["value"][1]) if values else None


def test_api_down_pages_then_resolves(stack: Stack) -> None:
    stack.stop("app")
    stack.wait_notifications(want(CRITICAL, "firing", "ApiDown"), FIRE)
    stack.start_app()
    expected = want(CRITICAL, "firing", "ApiDown") | want(CRITICAL, "resolved", "ApiDown")
    got = stack.settle(expected, FIRE)
    verified(stack, got, expected)
    for receiver in CRITICAL:  # resolved after firing, per receiver
        statuses = [n.status for n in got if n.receiver == receiver]
        assert statuses == ["firing", "resolved"], (receiver, statuses)


def test_error_rate_below_threshold_is_quiet_above_it_pages(stack: Stack) -> None:
    errors = 'sum(rate(http_requests_total{job="api",status=~"5.."}[10s])) / sum(rate(http_requests_total{job="api"}[10s]))'
    with stack.traffic(threads=3, pause=0.02):
        stack.set_faults(error_ratio=0.02)  # 1 in 50 fails: under the spec's 5%
        deadline = time.monotonic() + 10  # longer than the above-threshold case takes to notify
        while time.monotonic() < deadline:
            assert stack.prometheus_alerts() == []  # not HighErrorRate, nor anything else: all quiet
            time.sleep(0.5)
        seen = ratio(stack, errors)
        assert seen is not None and 0 < seen < 0.05, f"the quiet phase should have had some 5xx, under 5%: {seen}"
        assert stack.notifications() == []

        stack.set_faults(error_ratio=0.2)  # 1 in 5: over 5%
        expected = want(CRITICAL, "firing", "HighErrorRate")
        got = stack.settle(expected, FIRE)
    verified(stack, got, expected)


def test_slow_responses_warn_on_slack_and_email_but_do_not_page(stack: Stack) -> None:
    with stack.traffic(threads=4, pause=0):
        stack.set_faults(latency_ms=700)  # p95 lands in the 0.5-0.75 s bucket: over the spec's 500ms
        expected = want(WARNING, "firing", "HighResponseTime")
        got = stack.settle(expected, FIRE)
    verified(stack, got, expected)
    assert "pagerduty" not in {n.receiver for n in got}


def test_critical_alert_inhibits_the_warning_of_the_same_job(stack: Stack) -> None:
    with stack.traffic(threads=4, pause=0):
        stack.set_faults(error_ratio=0.5)
        stack.wait_notifications(want(CRITICAL, "firing", "HighErrorRate"), FIRE)
        stack.set_faults(latency_ms=700)  # now HighResponseTime (warning, job api) fires too
        wait_until(lambda: stack.firing("HighResponseTime"), FIRE, "HighResponseTime firing in Prometheus")

        def muted() -> list:
            return [
                a for a in stack.alertmanager_alerts()
                if a["labels"]["alertname"] == "HighResponseTime" and a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"]
            ]

        wait_until(muted, 10, "Alertmanager to mark HighResponseTime inhibited")
        got = stack.settle(want(CRITICAL, "firing", "HighErrorRate"), 1)  # and two group intervals for a leak
        assert stack.firing("HighResponseTime") and stack.firing("HighErrorRate")
    verified(stack, got, want(CRITICAL, "firing", "HighErrorRate"))


def test_redis_down_pages(stack: Stack) -> None:
    require(REDIS_SERVER, "redis-server")
    require(REDIS_EXPORTER, "prometheus-redis-exporter")
    assert stack.use_redis
    assert stack.prometheus_alerts() == []
    stack.stop("redis")
    expected = want(CRITICAL, "firing", "RedisDown")
    got = stack.settle(expected, FIRE)
    verified(stack, got, expected)

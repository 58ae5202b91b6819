"""The SoftFactory API: a few business endpoints, /health, /metrics, /control, a JSON access
log and /api/admin/metrics (admin.py).

Every metric object comes from the spec's `softfactory-api` catalog (catalog.py); this
module only says when each one counts. If the catalog renames a family or its labels,
the app fails at start-up or on its first request, and tests/test_example_app.py says so.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TextIO

from flask import Flask, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from examples.softfactory_app.admin import AccessLog, authorized, counters
from examples.softfactory_app.catalog import DEFAULT_SPEC, build, check_uses, load_catalog
from examples.softfactory_app.control import Control

CATALOG = "softfactory-api"
SLOW_REQUEST_S = 1.0  # http_slow_requests_total counts requests slower than this
ACTIVE_WINDOW_S = 300  # active_users_gauge: users seen in the last 5 minutes
USERS = {"ada": "lovelace", "alan": "turing"}

# What this code counts, and with which labels. create_app() refuses a catalog that differs,
# so a renamed family or label in the spec stops the app at start-up, not at 3 a.m.
USES = {
    "http_requests_total": ("counter", ("endpoint", "method", "status")),
    "http_request_duration_seconds": ("histogram", ("endpoint", "method")),
    "http_slow_requests_total": ("counter", ("endpoint",)),
    "active_users_gauge": ("gauge", ()),
    "scheduled_jobs_gauge": ("gauge", ()),
    "app_uptime_seconds": ("gauge", ()),
    "process_memory_mb": ("gauge", ()),
    "process_cpu_percent": ("gauge", ()),
    "db_query_count": ("counter", ("operation",)),
    "db_query_duration_ms": ("histogram", ("operation",)),
    "cache_hits": ("counter", ()),
    "cache_misses": ("counter", ()),
    "auth_successful_logins": ("counter", ()),
    "auth_failed_logins": ("counter", ()),
    "email_sent_total": ("counter", ("template",)),
    "notification_sent_total": ("counter", ("channel",)),
}


class ProcessStats:
    """CPU percent between two scrapes, and resident memory, from the kernel's own counters."""

    def __init__(self) -> None:
        self._last = (time.monotonic(), _cpu_seconds())

    def cpu_percent(self) -> float:
        now, cpu = time.monotonic(), _cpu_seconds()
        (then, cpu_then), self._last = self._last, (now, cpu)
        return 100.0 * (cpu - cpu_then) / (now - then) if now > then else 0.0

    @staticmethod
    def memory_mb() -> float:
        try:
            with open("/proc/self/statm", encoding="ascii") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except OSError:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def create_app(spec_path: Path | str = DEFAULT_SPEC, access_log: TextIO | None = None, admin_token_file: Path | None = None) -> Flask:
    """`access_log`: where the JSON access log goes (None: nowhere); `admin_token_file`: the
    file holding /api/admin/metrics' bearer token (None: that endpoint refuses everyone)."""
    app = Flask("softfactory")
    log = AccessLog(access_log)
    registry = CollectorRegistry()
    m = build(check_uses(load_catalog(spec_path, CATALOG), USES), registry)
    control = Control()
    started = time.time()
    seen_users: dict[str, float] = {}
    stats = ProcessStats()

    m["app_uptime_seconds"].set_function(lambda: time.time() - started)
    m["process_memory_mb"].set_function(stats.memory_mb)
    m["process_cpu_percent"].set_function(stats.cpu_percent)
    m["scheduled_jobs_gauge"].set_function(lambda: control.state()["scheduled_jobs"])
    m["active_users_gauge"].set_function(
        lambda: sum(1 for t in list(seen_users.values()) if time.time() - t < ACTIVE_WINDOW_S)
    )

    def query(operation: str) -> None:
        """A database call: counted, and timed as the drill says (no real database here)."""
        slow = control.state()["slow_query_ms"]
        m["db_query_count"].labels(operation=operation).inc()
        m["db_query_duration_ms"].labels(operation=operation).observe(slow if slow > 0 else 2.0)

    def cached(key: str) -> str:
        if control.hit("cache", control.state()["cache_miss_ratio"]):
            m["cache_misses"].inc()
            query("select")
        else:
            m["cache_hits"].inc()
        return key

    @app.before_request
    def _start() -> Response | None:
        g.start = time.perf_counter()
        user = request.headers.get("X-User")
        if user:
            seen_users[user] = time.time()
        if request.path.startswith("/api/") and not request.path.startswith("/api/admin/"):
            faults = control.state()
            if faults["latency_ms"]:
                time.sleep(faults["latency_ms"] / 1000)
            if control.hit("errors", faults["error_ratio"]):
                return Response("injected failure\n", status=500, mimetype="text/plain")
        return None

    @app.after_request
    def _count(resp: Response) -> Response:
        took = time.perf_counter() - g.start
        log.write(request.method, request.path, resp.status_code, took, g.get("user") or request.headers.get("X-User"))
        if request.path.startswith("/api/"):
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            m["http_requests_total"].labels(endpoint=endpoint, method=request.method, status=str(resp.status_code)).inc()
            m["http_request_duration_seconds"].labels(endpoint=endpoint, method=request.method).observe(took)
            if took > SLOW_REQUEST_S:
                m["http_slow_requests_total"].labels(endpoint=endpoint).inc()
        return resp

    @app.get("/api/users")
    def users() -> Response:
        return jsonify(sorted(cached(name) for name in USERS))

    @app.post("/api/orders")
    def orders() -> Response:
        query("insert")
        return jsonify({"status": "accepted"}), 201

    @app.post("/api/login")
    def login() -> Response:
        body = request.get_json(silent=True) or {}
        if USERS.get(body.get("user")) == body.get("password"):
            m["auth_successful_logins"].inc()
            seen_users[body["user"]] = time.time()
            g.user = body["user"]
            return jsonify({"status": "ok"})
        m["auth_failed_logins"].inc()
        return jsonify({"status": "denied"}), 401

    @app.post("/api/signup")
    def signup() -> Response:
        query("insert")
        m["email_sent_total"].labels(template="welcome").inc()
        return jsonify({"status": "created"}), 201

    @app.post("/api/notify")
    def notify() -> Response:
        channel = (request.get_json(silent=True) or {}).get("channel", "email")
        m["notification_sent_total"].labels(channel=channel).inc()
        return jsonify({"status": "sent", "channel": channel})

    @app.get("/api/admin/metrics")
    def admin_metrics() -> Response:
        if not authorized(request.headers.get("Authorization"), admin_token_file):
            return jsonify({"error": "admin token required"}), 401
        return jsonify({"uptime_seconds": round(time.time() - started, 3), "counters": counters(registry)})

    @app.get("/health")
    def health() -> Response:
        if control.state()["healthy"]:
            return jsonify({"status": "ok"})
        return jsonify({"status": "unhealthy"}), 503

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    @app.route("/control", methods=["GET", "POST"])
    def control_switches() -> Response:
        if request.method == "GET":
            return jsonify(control.state())
        try:
            return jsonify(control.update(request.get_json(force=True) or {}))
        except (ValueError, TypeError) as exc:
            return jsonify({"error": str(exc)}), 400

    return app

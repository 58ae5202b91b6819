"""A stand-in exporter: serves any catalog of the spec with values a drill can set.

For services that cannot run here (PostgreSQL, Elasticsearch, node, Grafana), the live
harness scrapes this instead, at /metrics/<catalog>. Values: the DEFAULTS below, 1 for
`*_up`, else 0; POST /control {"pg_up": 0} sets a value (every label set of that family).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

from examples.softfactory_app.catalog import DEFAULT_SPEC, load_catalog

# Plausible resting values: a healthy database with 10 of 100 connections in use.
DEFAULTS = {"pg_settings_max_connections": 100.0, "pg_stat_activity_count": 10.0}
LABEL_VALUES = {"datname": "softfactory", "state": "active", "color": "green", "mode": "idle", "cpu": "0"}


def exposition(families: list[Any], values: dict[str, float]) -> str:
    """Prometheus text format, written out as Go exporters write it: counters keep the
    catalog's name (`_total` only where the catalog says the client adds it), no `_created`."""
    lines = []
    for f in families:
        lv = ",".join(f'{n}="{LABEL_VALUES.get(n, "fake")}"' for n in f.labels)
        v = values[f.name]
        name = f.name
        if f.type == "counter" and getattr(f, "total_suffix", True) and not name.endswith("_total"):
            name += "_total"
        lines += [f"# HELP {name} {f.help or f.name}", f"# TYPE {name} {f.type}"]
        if f.type == "histogram":
            inf = ",".join(x for x in (lv, 'le="+Inf"') if x)
            lines += [f"{name}_bucket{{{inf}}} {v}", f"{name}_sum{{{lv}}} 0", f"{name}_count{{{lv}}} {v}"]
        elif f.type == "summary":
            lines += [f"{name}_sum{{{lv}}} 0", f"{name}_count{{{lv}}} {v}"]
        else:
            lines.append(f"{name}{{{lv}}} {v}")
    return "\n".join(lines) + "\n"


def create_exporter(catalogs: list[str], spec_path: Path | str = DEFAULT_SPEC) -> Flask:
    app = Flask("fake-exporter")
    lock = threading.Lock()
    values: dict[str, float] = {}
    served: dict[str, list[Any]] = {}
    for name in catalogs:
        served[name] = load_catalog(spec_path, name)
        for f in served[name]:
            values[f.name] = DEFAULTS.get(f.name, 1.0 if f.name.endswith("_up") else 0.0)

    @app.get("/metrics/<catalog>")
    def metrics(catalog: str) -> Response:
        if catalog not in served:
            return Response(f"no catalog {catalog}\n", status=404, mimetype="text/plain")
        with lock:
            text = exposition(served[catalog], values)
        return Response(text, mimetype="text/plain; version=0.0.4; charset=utf-8")

    @app.route("/control", methods=["GET", "POST"])
    def control() -> Response:
        if request.method == "POST":
            changes = request.get_json(force=True) or {}
            unknown = sorted(set(changes) - set(values))
            if unknown or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in changes.values()):
                return jsonify({"error": f"unknown families or non-numeric values: {unknown or changes}"}), 400
            with lock:
                values.update({k: float(v) for k, v in changes.items()})
        with lock:
            return jsonify(values)

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok"})

    return app

"""A stand-in exporter: serves any catalog of the spec with values a drill can set.

For services that cannot run here (PostgreSQL, Elasticsearch, node, Grafana), the live
harness scrapes this instead, at /metrics/<catalog>. Values: the DEFAULTS below, 1 for
`*_up`, else 0; POST /control {"pg_up": 0} sets a value (every label set of that family).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

from flask import Flask, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, SummaryMetricFamily

from examples.softfactory_app.catalog import DEFAULT_SPEC, load_catalog

# Plausible resting values: a healthy database with 10 of 100 connections in use.
DEFAULTS = {"pg_settings_max_connections": 100.0, "pg_stat_activity_count": 10.0}
LABEL_VALUES = {"datname": "softfactory", "state": "active", "color": "green", "mode": "idle", "cpu": "0"}


class CatalogCollector:
    """Yields one sample set per family of a catalog, from a dict of current values."""

    def __init__(self, families: list[Any], values: dict[str, float], lock: threading.Lock):
        self.families, self.values, self.lock = families, values, lock

    def collect(self) -> Iterator[Any]:
        with self.lock:
            values = dict(self.values)
        for f in self.families:
            labels = list(f.labels)
            lv = [LABEL_VALUES.get(name, "fake") for name in labels]
            v = values[f.name]
            if f.type == "counter":
                fam: Any = CounterMetricFamily(f.name, f.help or f.name, labels=labels)
                fam.add_metric(lv, v)
            elif f.type == "histogram":
                fam = HistogramMetricFamily(f.name, f.help or f.name, labels=labels)
                fam.add_metric(lv, buckets=[("+Inf", v)], sum_value=0.0)
            elif f.type == "summary":
                fam = SummaryMetricFamily(f.name, f.help or f.name, labels=labels)
                fam.add_metric(lv, count_value=v, sum_value=0.0)
            else:
                fam = GaugeMetricFamily(f.name, f.help or f.name, labels=labels)
                fam.add_metric(lv, v)
            yield fam


def create_exporter(catalogs: list[str], spec_path: Path | str = DEFAULT_SPEC) -> Flask:
    app = Flask("fake-exporter")
    lock = threading.Lock()
    values: dict[str, float] = {}
    registries: dict[str, CollectorRegistry] = {}
    for name in catalogs:
        families = load_catalog(spec_path, name)
        for f in families:
            values[f.name] = DEFAULTS.get(f.name, 1.0 if f.name.endswith("_up") else 0.0)
        registries[name] = CollectorRegistry()
        registries[name].register(CatalogCollector(families, values, lock))

    @app.get("/metrics/<catalog>")
    def metrics(catalog: str) -> Response:
        if catalog not in registries:
            return Response(f"no catalog {catalog}\n", status=404, mimetype="text/plain")
        return Response(generate_latest(registries[catalog]), mimetype=CONTENT_TYPE_LATEST)

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

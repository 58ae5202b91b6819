"""Metric objects built from the spec's catalog: the spec is the one source of truth for
names, types, help and label names; the app only decides when to count what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "specs" / "specs.yaml"

# Bucket bounds by unit: the alerts' thresholds (500ms latency, 1s slow query) are bounds,
# so histogram_quantile and `le` selectors see them exactly.
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
MS_BUCKETS = (5, 10, 25, 50, 100, 250, 500, 750, 1000, 2500, 5000, 10000)


def load_catalog(spec_path: Path | str, name: str) -> list[Any]:
    """The families of catalog `name`, read with sfmon's own loader (errors name the spec line)."""
    from sfmon.spec.loader import load_spec

    spec = load_spec(spec_path)
    if name not in spec.catalogs:
        raise KeyError(f"{spec_path} has no catalog {name!r}; it has: {', '.join(sorted(spec.catalogs))}")
    return list(spec.catalogs[name])


def build(families: list[Any], registry: CollectorRegistry) -> dict[str, Any]:
    """One prometheus_client metric per family, keyed by the catalog's name."""
    out: dict[str, Any] = {}
    for f in families:
        kw = {"name": f.name, "documentation": f.help or f.name, "labelnames": list(f.labels), "registry": registry}
        if f.type == "counter":
            out[f.name] = Counter(**kw)  # exposes <base>_total, as MetricFamily.series_names() says
        elif f.type == "gauge":
            out[f.name] = Gauge(**kw)
        elif f.type == "histogram":
            buckets = MS_BUCKETS if f.name.endswith("_ms") else SECONDS_BUCKETS
            out[f.name] = Histogram(buckets=buckets, **kw)
        elif f.type == "summary":
            out[f.name] = Summary(**kw)
        else:
            raise ValueError(f"family {f.name}: type {f.type!r} has no prometheus_client class")
    return out


def check_uses(families: list[Any], uses: dict[str, tuple[str, tuple[str, ...]]]) -> list[Any]:
    """`families`, if they are exactly what the code uses (name -> (type, label names));
    else ValueError listing every difference."""
    have = {f.name: (f.type, tuple(f.labels)) for f in families}
    diffs = [f"{n}: the app uses it as {uses[n]}, the catalog does not have it" for n in uses if n not in have]
    diffs += [f"{n}: the catalog has it, the app does not export it" for n in have if n not in uses]
    diffs += [
        f"{n}: the catalog says {have[n][0]} {list(have[n][1])}, the app uses {uses[n][0]} {list(uses[n][1])}"
        for n in uses
        if n in have and (have[n][0], tuple(sorted(have[n][1]))) != (uses[n][0], tuple(sorted(uses[n][1])))
    ]
    if diffs:
        raise ValueError("the app and the spec's catalog disagree:\n  " + "\n  ".join(diffs))
    return families

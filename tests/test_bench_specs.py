"""bench/make_spec.py writes specs that load and check clean (benchmarks of invalid specs measure nothing)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sfmon.pipeline import load_and_check
from sfmon.problems import has_errors

from conftest import ROOT, SPEC


@pytest.mark.parametrize("size", ["small", "5k"])
def test_bench_spec_is_valid(tmp_path, size):
    out = tmp_path / f"{size}.yaml"
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_spec.py"), size, str(out)], check=True)
    loaded, problems = load_and_check(out)
    assert loaded is not None and not has_errors(problems), problems[:5]
    if size == "small":
        assert out.read_bytes() == SPEC.read_bytes()
    else:
        spec = loaded.spec
        kinds = {type(a).__name__ for a in spec.alerts}
        assert (len(spec.targets), len(spec.alerts), len(spec.dashboards)) == (1000, 5000, 100)
        assert kinds == {"TargetDown", "ErrorRatio", "LatencyQuantile", "Ratio", "SlowEvents", "GaugeThreshold", "RawExpr"}
        assert all(sum(len(r.panels) for r in d.rows) == 10 for d in spec.dashboards)


def test_bench_spec_refuses_unknown_size(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "make_spec.py"), "9k", str(tmp_path / "x.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage" in proc.stderr

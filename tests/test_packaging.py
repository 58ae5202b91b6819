"""The wheel stands alone: it carries the templates and the vendored schemas with their
notices, declares jsonschema, and `sfmon validate` runs from it outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SPEC, require_tool


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        timeout=300,
    )
    (path,) = out.glob("sfmon-*.whl")
    return path


def test_wheel_ships_schemas_with_their_notices(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("grafana", "compose", "prometheus-operator"):
        assert {f"sfmon/schemas/{folder}/NOTICE", f"sfmon/schemas/{folder}/LICENSE"} <= names, folder
    assert "sfmon/schemas/grafana/dashboard.jsonschema.json" in names
    assert "sfmon/schemas/prometheus-operator/scrapeconfig_v1alpha1.json" in names  # sfmon validate: operator/schema
    assert "sfmon/templates/operator/prometheusrule.yaml.j2" in names
    assert "sfmon/templates/grafana/dashboard.json.j2" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: jsonschema")]
    assert requires and "extra ==" not in requires[0], requires


def test_validate_runs_from_the_wheel_alone(wheel, tmp_path):
    require_tool("promtool")
    require_tool("amtool")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    res = subprocess.run(
        [sys.executable, "-m", "sfmon", "validate", "--spec", str(SPEC), "--out", "generated"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import sfmon.paths; print(sfmon.paths.SCHEMAS)"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert Path(probe.stdout.strip()) == site / "sfmon" / "schemas"

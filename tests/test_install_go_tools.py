"""scripts/install-go-tools: the toolsets it builds are named for their releases
(tools/versions.env), a second run reuses the cache, and without Go it says so and builds nothing."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

import toolsets
from conftest import ROOT, require_from, skip_or_fail

SCRIPT = ROOT / "scripts" / "install-go-tools"


def _versions() -> dict[str, str]:
    text = (ROOT / "tools" / "versions.env").read_text(encoding="utf-8")
    return dict(re.findall(r"(?m)^(SFMON_\w+)=(\S+)$", text))


def _release(module_version: str) -> str:
    """Prometheus 3.N.M is Go module version v0.3NN.M."""
    major_minor, patch = re.fullmatch(r"v0\.3(\d\d)\.(\d+)", module_version).groups()
    return f"3.{int(major_minor)}.{patch}"


def _script(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def test_toolsets_are_named_for_the_pinned_releases():
    v = _versions()
    lts, newest = _release(v["SFMON_PROM_LTS"]), _release(v["SFMON_PROM_LATEST"])
    assert lts.startswith("3.5."), "the LTS line is 3.5"
    am = v["SFMON_AM_LATEST"].removeprefix("v")
    lines = _script("paths").stdout.splitlines()
    cache = os.environ.get("SFMON_TOOLS_CACHE", os.path.expanduser("~/.cache/sfmon/tools"))
    assert lines == [
        f"prom-{lts} {cache}/prometheus-{lts}/bin {cache}/alertmanager-{am}/bin",
        f"prom-{newest} {cache}/prometheus-{newest}/bin {cache}/alertmanager-{am}/bin",
    ]
    assert _script("toolsets").stdout.strip() == f"debian,prom-{lts},prom-{newest}"


def test_without_go_it_says_so_builds_nothing_and_the_matrix_is_debian_only(tmp_path):
    env = {"GO": str(tmp_path / "no-go"), "SFMON_TOOLS_CACHE": str(tmp_path / "cache")}
    done = _script("build", env=env)
    assert done.returncode == 0, done.stderr
    assert "no Go toolchain" in done.stderr and "Debian's promtool/amtool only" in done.stderr
    assert not (tmp_path / "cache").exists()
    assert _script("toolsets", env=env).stdout.strip() == "debian"


def test_a_second_run_reuses_the_built_tools():
    """Every build this run uses present (make test built them; in CI a missing one fails
    here): a run is instant and builds nothing."""
    used = [t for t in toolsets.built() if t.name in toolsets.active()]
    if not used:
        skip_or_fail("this run uses Debian's tools only (SFMON_TOOLSETS, or no build in the cache)")
    for t in used:
        for tool in toolsets.TOOLS:
            require_from(t, tool)
    start = time.monotonic()
    done = _script("build")
    assert done.returncode == 0, done.stderr
    assert "building" not in done.stderr
    assert time.monotonic() - start < 10

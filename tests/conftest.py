"""Shared fixtures: paths, the real-tool requirement and its toolsets, CLI runners, tree hashing,
file snapshots."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

import toolsets
from toolsets import Toolset

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "specs.yaml"
GENERATED = ROOT / "generated"
FIXTURES = ROOT / "tests" / "fixtures"
SCHEMAS = ROOT / "sfmon" / "schemas"  # vendored third-party schemas: a clone needs nothing beside it


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep sfmon's --check memo out of the user's cache directory during tests."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


def skip_or_fail(message: str) -> NoReturn:
    """Skip on a laptop without what the test needs; fail in CI (CI is set), which must run it."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run this test")
    pytest.skip(message)


def require_tool(name: str, package: str = "prometheus prometheus-alertmanager") -> str:
    """Path of a real binary; skip without it on a laptop, fail in CI (CI is set)."""
    path = shutil.which(name)
    if path:
        return path
    skip_or_fail(f"{name} is not installed (apt-get install {package})")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `matrix` that uses a toolset runs once per active toolset
    (tests/toolsets.py); `matrix("newest")`: on Debian's and the newest build only."""
    marker = metafunc.definition.get_closest_marker("matrix")
    if marker is None or "toolset" not in metafunc.fixturenames:
        return
    names = toolsets.active()
    if "newest" in marker.args and len(names) > 2:
        names = (names[0], names[-1])
    if not {"promtool", "prometheus_bin"} & set(metafunc.fixturenames):
        names = toolsets.distinct(names, ("amtool", "alertmanager"))  # builds share one Alertmanager
    metafunc.parametrize("toolset", names, indirect=True, ids=names)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under xdist (`make test` runs -n auto --dist loadgroup) the live tests share one
    worker: each starts servers whose timing a second stack on the same cores would skew;
    so do the tests of each ONE_WORKER module. First: xdist's own hook reads the
    xdist_group marks into the node ids, and a mark added after it groups nothing."""
    for item in items:
        if item.get_closest_marker("live") is not None:
            item.add_marker(pytest.mark.xdist_group("live"))
        elif item.path.stem in ONE_WORKER:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


# Modules whose module-scoped fixture does the work of all their tests (the corpus runs every
# case up front): on one worker, so that work is done once, not once per worker.
ONE_WORKER = {"test_invalid_corpus", "test_shapes", "test_hardening", "test_environments", "test_operator", "test_packaging"}


def pytest_report_header(config: pytest.Config) -> list[str]:
    from sfmon.tools.versions import detect

    lines = []
    for name in toolsets.active():
        t = toolsets.all_toolsets()[name]
        found = {tool: t.path(tool) for tool in ("promtool", "amtool")}
        versions = ", ".join(f"{tool} {detect(path) or '?'}" if path else f"{tool} missing" for tool, path in found.items())
        lines.append(f"toolset {name}: {versions}")
    if len(lines) == 1:
        lines.append("version matrix: Debian's tools only (no Prometheus 3 build; `make tools` builds them when Go is installed)")
    return lines


@pytest.fixture
def toolset(request: pytest.FixtureRequest) -> Toolset:
    """Debian's tools, or (in a `matrix` test) each active toolset in turn."""
    return toolsets.all_toolsets()[getattr(request, "param", "debian")]


def require_from(toolset: Toolset, tool: str) -> str:
    """Path of one binary of a toolset; skip without it on a laptop, fail in CI."""
    path = toolset.path(tool)
    if path:
        return path
    skip_or_fail(f"{tool} of toolset {toolset.name} is not installed ({toolset.how})")


# The tool fixtures also point sfmon's own runs (SFMON_PROMTOOL/SFMON_AMTOOL, read by
# sfmon.tools.runner.find, inherited by run_sfmon's processes) at the same binaries.
@pytest.fixture
def promtool(toolset: Toolset, monkeypatch: pytest.MonkeyPatch) -> str:
    path = require_from(toolset, "promtool")
    monkeypatch.setenv("SFMON_PROMTOOL", path)
    return path


@pytest.fixture
def amtool(toolset: Toolset, monkeypatch: pytest.MonkeyPatch) -> str:
    path = require_from(toolset, "amtool")
    monkeypatch.setenv("SFMON_AMTOOL", path)
    return path


@pytest.fixture
def prometheus_bin(toolset: Toolset) -> str:
    return require_from(toolset, "prometheus")


@pytest.fixture
def alertmanager_bin(toolset: Toolset) -> str:
    return require_from(toolset, "alertmanager")


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free 127.0.0.1 port not handed out before in this process: the kernel may offer a
    just-closed port again, and two components of one stack must not be given the same one."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("no fresh free port in 200 tries")


def newest_build(tool: str) -> str:
    """`tool` from the newest Prometheus 3 / Alertmanager build of the active toolsets: for the
    specs only a newer release reads (Kubernetes discovery, UTF-8 relabel names)."""
    for name in reversed(toolsets.active()):
        path = toolsets.all_toolsets()[name].path(tool) if name != "debian" else None
        if path:
            return path
    skip_or_fail(f"no {tool} build of a newer release (make tools builds one when Go is installed)")


def generated_for(tool: str, spec: Path, tmp_path: Path) -> tuple[tuple[int, ...], Path]:
    """The release of `tool` (a promtool or amtool path) and `spec` generated into tmp_path/out."""
    from sfmon.tools.versions import detect

    found = detect(tool)
    assert found is not None, tool
    out = tmp_path / "out"
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return found, out


def run_sfmon(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the CLI as a user does: a real process, real exit code, real stderr."""
    return subprocess.run(
        [sys.executable, "-m", "sfmon", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def run_sfmon_many(jobs: list[tuple[tuple[str, ...], Path]], timeout: float = 120) -> list[subprocess.CompletedProcess]:
    """run_sfmon for each (args, cwd), each a real process forked from one warm interpreter
    (tests/forkrun.py): the same exit codes and output without 0.8 s of start-up per run."""
    import json

    payload = json.dumps([{"args": list(args), "cwd": str(cwd), "timeout": timeout} for args, cwd in jobs])
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "forkrun.py")], input=payload, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout * len(jobs) + 60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return [
        subprocess.CompletedProcess(["sfmon", *args], r["code"], r["stdout"], r["stderr"])
        for (args, _), r in zip(jobs, json.loads(done.stdout))
    ]


def own_tests(out, alert: str) -> list[str]:
    """The alert's test groups against its own rule (tools/proofs.split_rule_tests, as
    validate runs them): promtool evaluates every rule of a file's rule_files at every step,
    so the whole file costs the other alerts' rules too."""
    import json

    from sfmon.tools.proofs import split_rule_tests

    mine = []
    for name in ("alerts", "alerts-long"):
        tests = out / "tests" / f"{name}.test.yml"
        if tests.is_file():
            split = split_rule_tests(out, tests.read_text(encoding="utf-8"), (out / "alerts.yml").read_text(encoding="utf-8"), above=0, name=name)
            assert split is not None
            mine += [f for f in split if any(t.get("alertname") == alert for g in json.loads((out / f).read_text())["tests"] for t in g.get("alert_rule_test", ()))]
    assert mine, f"no generated test of {alert}"
    return mine


def tree_hash(path: Path) -> str:
    """Hash of every file's path, mode and bytes under `path` (empty string if absent)."""
    if not path.exists():
        return ""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0")
        h.update(oct(f.stat().st_mode).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch project: a copy of the default spec in specs/, an empty generated/."""
    (tmp_path / "specs").mkdir()
    shutil.copy(SPEC, tmp_path / "specs" / "specs.yaml")
    return tmp_path


def edited_spec(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of the default spec with each (old, new) replaced; each old text must occur once."""
    text = SPEC.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, f"edit target not unique in the default spec: {old!r}"
        text = text.replace(old, new)
    path = tmp_path / "specs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class YmlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yml"


class JsonSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "json"


def snapshot_extension(rel: str) -> type[SingleFileSnapshotExtension]:
    return JsonSnapshot if rel.endswith(".json") else YmlSnapshot


def spec_repo(path: Path) -> Path:
    """A git repository at `path` whose one commit holds a copy of the default spec at
    specs/specs.yaml (for `sfmon diff --base`); returns the spec's path."""
    require_tool("git", "git")
    spec = path / "specs" / "specs.yaml"
    spec.parent.mkdir(parents=True)
    shutil.copy(SPEC, spec)
    for args in (("init", "-q"), ("add", "specs/specs.yaml"), ("commit", "-q", "-m", "spec")):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=path, check=True, capture_output=True, timeout=60,
        )
    return spec

"""promtool and amtool calls are bounded: a hung tool is stopped after SFMON_TOOL_TIMEOUT
(with every process it started), a crashing or flooding tool becomes a problem that names
it, never a hang or a traceback, and a missing tool exits 3. The fakes are small scripts
put in place of the real binaries with SFMON_PROMTOOL / SFMON_AMTOOL."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import FIXTURES, run_sfmon

MINIMAL = FIXTURES / "specs" / "valid" / "minimal.yaml"


def fake(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return path


def alive_with(marker: str) -> list[int]:
    """Processes whose command line carries `marker` (the fakes' children)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def validate(env: dict[str, str], timeout: float = 60) -> tuple[int, str, float]:
    start = time.perf_counter()
    done = run_sfmon("validate", "--spec", str(MINIMAL), env=env, timeout=timeout)
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


@pytest.mark.parametrize("tool", ["promtool", "amtool"])
def test_hung_tool_is_stopped_with_its_children_and_named(tmp_path, tool):
    marker = f"sfmon-hung-{uuid.uuid4().hex}"
    sleeper = f"{sys.executable} -c 'import time; time.sleep(600)' {marker}"
    # A child in the background keeps the tool's stdout open: waiting for EOF on a pipe
    # would hang even after the tool itself is killed.
    hung = fake(tmp_path, tool, f"{sleeper} &\nexec {sleeper}\n")
    code, out, seconds = validate({f"SFMON_{tool.upper()}": str(hung), "SFMON_TOOL_TIMEOUT": "1"})
    assert code == 1, out
    assert f"{tool} did not finish within 1s and was stopped" in out
    assert "Traceback" not in out
    assert seconds < 20, seconds
    deadline = time.monotonic() + 5
    while alive_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive_with(marker) == [], "the tool's children outlived the timeout"


@pytest.mark.parametrize("tool", ["promtool", "amtool"])
def test_crashing_tool_is_a_problem_naming_it(tmp_path, tool):
    crash = fake(tmp_path, tool, "kill -SEGV $$\n")
    code, out, _ = validate({f"SFMON_{tool.upper()}": str(crash)})
    assert code == 1, out
    assert f"{tool} crashed (signal 11)" in out
    assert "Traceback" not in out


def test_flooding_tool_is_reported_in_bounded_lines(tmp_path):
    flood = fake(tmp_path, "promtool", 'yes "FAILED: noise" | head -c 20000000\nexit 1\n')
    code, out, _ = validate({"SFMON_PROMTOOL": str(flood)})
    assert code == 1
    assert "more lines of output not shown" in out
    assert out.count("noise") <= 2 * 200 + 5  # two promtool runs, at most 200 problems each


def test_tool_that_cannot_start_is_a_problem(tmp_path):
    broken = tmp_path / "promtool"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(0o755)
    code, out, _ = validate({"SFMON_PROMTOOL": str(broken)})
    assert code == 1 and "promtool could not be started" in out, out


@pytest.mark.parametrize("tool", ["promtool", "amtool"])
def test_missing_tool_exits_3_naming_it(tmp_path, tool):
    code, out, _ = validate({f"SFMON_{tool.upper()}": str(tmp_path / "absent")})
    assert code == 3, out
    assert f"{tool} not found" in out and "Traceback" not in out

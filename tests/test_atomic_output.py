"""generated/ is replaced atomically and only sfmon's own files change: a failure at any
write step (an exception from the writer's hook, a real SIGKILL at that step or at a
random moment) leaves the previous tree or the complete new one, never a mix; the user's
files, symlinks and empty directories survive pruning; concurrent runs serialise, so the
result is exactly one of the two renders."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_sfmon
from sfmon.write import writer
from sfmon.pipeline import load, render

VALID = FIXTURES / "specs" / "valid"


def state(path: Path) -> str:
    """Hash of everything under `path`: names, kinds, modes, bytes, link targets, empty dirs."""
    h = hashlib.sha256()
    for root, dirs, names in sorted(os.walk(path)):
        dirs.sort()
        for name in sorted(dirs + names):
            p = Path(root) / name
            st = p.lstat()
            h.update(p.relative_to(path).as_posix().encode() + b"\0" + oct(st.st_mode).encode() + b"\0")
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.glob(".sfmon-staging-*")]


@pytest.fixture(scope="module")
def renders() -> dict[str, dict[str, str]]:
    return {name: render(load(VALID / f"{name}.yaml")) for name in ("minimal", "full")}


def user_tree(out: Path, files: dict[str, str]) -> None:
    """A previous run's output with the user's own things added in and around it."""
    writer.write(out, files)
    (out / "NOTES.md").write_text("the user's notes\n")
    (out / "grafana" / "dashboards").mkdir(parents=True, exist_ok=True)
    (out / "grafana" / "dashboards" / "hand-made.json").write_text("{}\n")
    (out / "scratch").mkdir()  # empty
    (out / "latest").symlink_to("prometheus.yml")
    (out / "elsewhere").symlink_to("..", target_is_directory=True)
    os.chmod(out / "NOTES.md", 0o600)


def expected_new(tmp_path: Path, old: dict[str, str], new: dict[str, str]) -> str:
    """State after a successful write of `new` over a user tree of `old`."""
    ref = tmp_path / "reference" / "generated"
    user_tree(ref, old)
    writer.write(ref, new)
    return state(ref)


def steps_of(tmp_path: Path, old: dict[str, str], new: dict[str, str]) -> list[str]:
    seen: list[str] = []
    out = tmp_path / "steps" / "generated"
    user_tree(out, old)
    writer.write(out, new, hook=seen.append)
    return seen


def test_exception_at_every_step_leaves_old_or_complete_new_tree(tmp_path, renders):
    old, new = renders["minimal"], renders["full"]
    steps = steps_of(tmp_path, old, new)
    assert steps[:2] == ["staging-created", "user-files-linked"] and steps[-2:] == ["before-swap", "after-swap"]
    assert sum(s.startswith("wrote:") for s in steps) >= 5
    after = expected_new(tmp_path, old, new)
    for i, step in enumerate(steps):
        out = tmp_path / f"run{i}" / "generated"
        user_tree(out, old)
        before = state(out)

        def crash(name: str, step: str = step) -> None:
            if name == step:
                raise OSError(28, "No space left on device (simulated)")

        with pytest.raises(OSError):
            writer.write(out, new, hook=crash)
        assert state(out) == (after if step == "after-swap" else before), step
        assert leftovers(out.parent) == [], step


CHILD = """
import json, os, signal, sys
from pathlib import Path
from sfmon.write import writer
out, files, kill_at = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]
def hook(name):
    if name == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
writer.write(out, files, hook=hook)
"""


def test_sigkill_at_every_step(tmp_path, renders):
    old, new = renders["minimal"], renders["full"]
    steps = steps_of(tmp_path, old, new)
    after = expected_new(tmp_path, old, new)
    files = tmp_path / "new.json"
    files.write_text(json.dumps(new))
    for i, step in enumerate(steps):
        out = tmp_path / f"kill{i}" / "generated"
        user_tree(out, old)
        before = state(out)
        done = subprocess.run([sys.executable, "-c", CHILD, str(out), str(files), step], cwd=ROOT, timeout=60)
        assert done.returncode == -signal.SIGKILL, step
        assert state(out) == (after if step == "after-swap" else before), step
        # The next run sweeps what the killed one left next to the directory, and finishes the job.
        writer.write(out, new)
        assert state(out) == after and leftovers(out.parent) == [], step


LOOP = """
import json, sys
from pathlib import Path
from sfmon.write import writer
out, a, b = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), json.loads(Path(sys.argv[3]).read_text())
writer.write(out, a)
Path(sys.argv[4]).touch()  # the first render is whole: from here on, any kill lands mid-loop
while True:
    writer.write(out, b)
    writer.write(out, a)
"""


def test_sigkill_at_random_moments_leaves_one_whole_render(tmp_path, renders):
    # Many files make each write long enough to be killed in the middle of it.
    a = {f"bulk/{i:04}.yml": f"a: {i}\n" * 50 for i in range(400)} | renders["minimal"]
    b = {f"bulk/{i:04}.yml": f"b: {i}\n" * 50 for i in range(300)} | renders["full"]
    states = {}
    for name, files in (("a", a), ("b", b)):
        ref = tmp_path / f"ref-{name}" / "generated"
        writer.write(ref, files)
        states[state(ref)] = name
    paths = []
    for name, files in (("a", a), ("b", b)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(files))
    out = tmp_path / "live" / "generated"
    rng = random.Random(5)
    seen = set()
    deadline = time.monotonic() + 30
    ready = tmp_path / "ready"
    for _ in range(10):
        if time.monotonic() > deadline:
            break
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", LOOP, str(out), *map(str, paths), str(ready)], cwd=ROOT)
        # Wait for the first whole write (start-up takes seconds on a loaded machine), then
        # kill somewhere inside the loop of writes that follows.
        started = time.monotonic()
        while not ready.exists() and proc.poll() is None and time.monotonic() - started < 60:
            time.sleep(0.02)
        time.sleep(rng.random() * 0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert ready.exists(), "the writer never finished its first render"
        got = state(out)
        assert got in states, "a killed write left a mix of two renders"
        seen.add(states[got])
    assert seen, "no kill landed"


def test_pruning_keeps_the_users_files(tmp_path, renders):
    out = tmp_path / "generated"
    user_tree(out, renders["full"])
    changes = writer.write(out, renders["minimal"])
    assert "grafana/dashboards/web-overview.json" in changes.removed
    assert not (out / "grafana" / "dashboards" / "web-overview.json").exists()
    assert (out / "grafana" / "dashboards" / "hand-made.json").read_text() == "{}\n"
    assert (out / "NOTES.md").read_text() == "the user's notes\n" and (out / "NOTES.md").stat().st_mode & 0o777 == 0o600
    assert (out / "scratch").is_dir() and os.readlink(out / "latest") == "prometheus.yml"
    assert (out / "elsewhere").is_symlink()
    assert writer.owned(out) == set(renders["minimal"])


def test_a_file_sfmon_does_not_own_is_never_overwritten(tmp_path):
    out = tmp_path / "generated"
    assert run_sfmon("generate", "--spec", str(VALID / "minimal.yaml"), "--out", str(out)).returncode == 0
    (out / "prometheus-web.yml").write_text("the user's own web config\n")
    before = state(out)
    done = run_sfmon("generate", "--spec", str(VALID / "full.yaml"), "--out", str(out))
    assert done.returncode == 1
    assert "holds prometheus-web.yml, which sfmon did not write" in done.stdout + done.stderr
    assert state(out) == before


def test_symlinked_output_directory_is_written_where_it_points(tmp_path, renders):
    real = tmp_path / "real"
    writer.write(real, renders["minimal"])
    link = tmp_path / "generated"
    link.symlink_to(real, target_is_directory=True)
    writer.write(link, renders["full"])
    assert link.is_symlink() and (real / "prometheus-web.yml").is_file()


def test_concurrent_runs_leave_exactly_one_render(tmp_path):
    specs = [VALID / "minimal.yaml", VALID / "full.yaml"]
    refs = {}
    for spec in specs:
        ref = tmp_path / f"ref-{spec.stem}"
        assert run_sfmon("generate", "--spec", str(spec), "--out", str(ref)).returncode == 0
        refs[state(ref)] = spec.stem
    out = tmp_path / "generated"
    outcomes = set()
    for round_ in range(4):
        if out.exists():
            shutil.rmtree(out)
        order = specs if round_ % 2 == 0 else specs[::-1]
        procs = [
            subprocess.Popen([sys.executable, "-m", "sfmon", "generate", "--spec", str(s), "--out", str(out)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for s in order
        ]  # fmt: skip
        for p in procs:
            output = p.communicate(timeout=120)[0].decode()
            assert p.returncode == 0, output
        assert state(out) in refs, "two concurrent runs interleaved their files"
        outcomes.add(refs[state(out)])
        assert leftovers(tmp_path) == []
    assert outcomes <= {"minimal", "full"}

"""`make bench`: time sfmon against the real tools on the same work, on this machine, in one run.

For each spec size (bench/make_spec.py) it times whole processes, wall clock and peak RSS
(os.wait4's rusage of each child), and reports the median of several runs:

  sfmon generate          into an empty directory
  sfmon generate --check  against an up-to-date directory
  sfmon validate
  promtool check rules    on the generated alerts.yml
  promtool check config   on the generated prometheus.yml
  tool runs, serial       every promtool/amtool call `sfmon validate` makes, one after another

plus, once: the import floor (`python -c "import typer, pydantic, jinja2, ruamel.yaml"`),
`sfmon --version` and `sfmon --help`. Prints Markdown tables (timings, then the targets
with their ratios) and writes everything as JSON to bench/results/.

The `teams` size is an organisation split into 10 team files with 3 environments (3,250
alerts each): one `generate` renders all three into OUT/<env>/; promtool is timed on the
prod environment's files.

Usage: python bench/run.py [--sizes small,5k,50k,teams] [--runs N] [--keep DIR]
Standard library only; run it with the project's virtualenv python (make bench does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
# The console script, as people run it (falls back to -m when the venv has none).
_SCRIPT = Path(PY).parent / "sfmon"
SFMON = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-m", "sfmon"]

# Repetitions per size and measurement. The 50k spec takes ~30 s a run, so it gets few;
# `validate` at 5k/50k runs promtool's tests of every generated alert (minutes), so only
# --full measures it there.
RUNS = {
    "small": {"generate": 5, "check": 5, "validate": 5, "promtool": 5, "tools": 3},
    "5k": {"generate": 3, "check": 3, "validate": 0, "promtool": 3, "tools": 0},
    "50k": {"generate": 3, "check": 1, "validate": 0, "promtool": 1, "tools": 0},
    "teams": {"generate": 3, "check": 3, "validate": 0, "promtool": 3, "tools": 0},
}
# Where a size's rendered prometheus.yml and alerts.yml are: the teams spec renders one
# directory per environment.
SUBDIR = {"teams": "prod"}
FULL = {"validate": 1, "tools": 1}  # added for 5k/50k by --full
STARTUP_RUNS = 5

# The targets: (name, numerator key, denominator key or absolute limit, limit).
TARGETS = [
    ("5k: generate / promtool check rules", ("5k", "generate"), ("5k", "promtool check rules"), 1.0),
    ("small: generate --check / import floor", ("small", "generate --check"), ("small", "import floor"), 1.5),
    ("small: validate / its tool runs, serial", ("small", "validate"), ("small", "tool runs, serial"), 1.0),
    ("50k / 5k: generate time", ("50k", "generate"), ("5k", "generate"), 11.0),
    ("50k: peak RSS of any sfmon run (MB)", ("50k", "max sfmon rss"), None, 500.0),
    # 3 environments of 3,250 alerts: about twice the 5k spec's work, in one run.
    ("teams (10 teams x 3 envs) / 5k: generate time", ("teams", "generate"), ("5k", "generate"), 3.0),
    ("teams: peak RSS of any sfmon run (MB)", ("teams", "max sfmon rss"), None, 500.0),
    ("sfmon --version (s)", ("-", "sfmon --version"), None, 0.1),
    ("small: generate --check (s)", ("small", "generate --check"), None, 0.3),
]


@dataclass
class Measure:
    wall: list[float] = field(default_factory=list)  # seconds
    rss: list[float] = field(default_factory=list)  # MB

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def peak_mb(self) -> float:
        return max(self.rss)


def timed(argv: list[str], cwd: Path | None = None, env: dict | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one process; fails loudly on an unexpected exit code.

    The child is reaped with os.wait4, whose rusage is that child's own (ru_maxrss in KiB);
    output goes to temporary files so a full pipe can never stall it.
    """
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
        if code not in ok:
            out.seek(0)
            raise SystemExit(f"bench: `{shlex.join(argv)}` exited {code}\n{out.read().decode(errors='replace')[-3000:]}")
    return wall, rusage.ru_maxrss / 1024


def repeat(n: int, argv: list[str], before=None, **kw) -> Measure:
    m = Measure()
    for _ in range(n):
        if before:
            before()
        wall, rss = timed(argv, **kw)
        m.wall.append(wall)
        m.rss.append(rss)
    return m


def interleaved(n: int, jobs: dict[str, dict]) -> dict[str, Measure]:
    """Each job once per round, n rounds: the two sides of a ratio see the same machine load
    (other work on a shared 2-core machine moves single medians by 50%)."""
    out = {name: Measure() for name in jobs}
    for i in range(n):
        for name, job in jobs.items():
            job = dict(job)
            argv, before, times = job.pop("argv"), job.pop("before", None), job.pop("n", n)
            if i >= times:
                continue
            if before:
                before()
            wall, rss = timed(argv, **job)
            out[name].wall.append(wall)
            out[name].rss.append(rss)
    return out


# --- the tool runs `sfmon validate` makes -----------------------------------------------

_RECORDER = """#!{python}
# Records one tool call of `sfmon validate` (arguments and a copy of its working directory), then runs the tool.
import json, os, shutil, sys, tempfile
real, log = {real!r}, {log!r}
cwd = os.getcwd()
keep = tempfile.mkdtemp(dir=os.path.dirname(log), prefix="call-")
shutil.copytree(cwd, keep, dirs_exist_ok=True)
with open(log, "a") as fh:
    fh.write(json.dumps({{"tool": real, "cwd": cwd, "copy": keep, "args": sys.argv[1:]}}) + "\\n")
os.execv(real, [real, *sys.argv[1:]])
"""


def record_tool_calls(spec: Path, out: Path, work: Path) -> list[tuple[list[str], Path]]:
    """Run `sfmon validate` once with recording wrappers; return each call, ready to replay."""
    work.mkdir(parents=True, exist_ok=True)
    log = work / "calls.jsonl"
    env = dict(os.environ)
    for tool in ("promtool", "amtool"):
        real = shutil.which(tool)
        if real is None:
            raise SystemExit(f"bench: {tool} not found; run `make setup` (scripts/install-tools)")
        wrapper = work / tool
        wrapper.write_text(_RECORDER.format(python=PY, real=real, log=str(log)))
        wrapper.chmod(0o755)
        env[f"SFMON_{tool.upper()}"] = str(wrapper)
    timed([*SFMON, "validate", "--spec", str(spec), "--out", str(out)], env=env)
    calls = []
    for line in log.read_text().splitlines():
        c = json.loads(line)
        args = [a.replace(c["cwd"], c["copy"]) for a in c["args"]]  # absolute paths into the deleted temp dir
        calls.append(([c["tool"], *args], Path(c["copy"])))
    return calls


def serial_tools(n: int, calls: list[tuple[list[str], Path]]) -> Measure:
    """Every recorded call, one after another: the wall time is the sum."""
    m = Measure()
    for _ in range(n):
        total, peak = 0.0, 0.0
        for argv, cwd in calls:
            wall, rss = timed(argv, cwd=cwd, ok=(0, 1))  # exit 1 is a finding, still a full run
            total, peak = total + wall, max(peak, rss)
        m.wall.append(total)
        m.rss.append(peak)
    return m


# --- one size ---------------------------------------------------------------------------


def bench_size(size: str, runs: dict[str, int], tmp: Path, log) -> dict[str, Measure]:
    spec = tmp / size / "specs.yaml" if size == "teams" else tmp / f"{size}.yaml"
    subprocess.run([PY, str(ROOT / "bench" / "make_spec.py"), size, str(spec)], check=True)
    ref = tmp / f"{size}-out"
    scratch = tmp / f"{size}-scratch"
    gen = [*SFMON, "generate", "--spec", str(spec)]
    res: dict[str, Measure] = {}

    promtool = shutil.which("promtool") or "promtool"
    floor = [PY, "-c", "import typer, pydantic, jinja2, ruamel.yaml"]
    # The first run writes `ref` (the up-to-date tree --check compares against); it is a
    # generate into an empty directory like the others, so it counts.
    log(f"{size}: generate x{runs['generate']}, promtool check rules x{runs['promtool']}, interleaved")
    first = repeat(1, [*gen, "--out", str(ref)])
    pairs = interleaved(
        max(runs["generate"] - 1, runs["promtool"]),
        {
            "generate": {"argv": [*gen, "--out", str(scratch)], "before": lambda: shutil.rmtree(scratch, ignore_errors=True)},
            "promtool check rules": {"argv": [promtool, "check", "rules", "alerts.yml"], "cwd": ref / SUBDIR.get(size, ""), "n": runs["promtool"]},
        },
    )
    res["generate"] = Measure(first.wall + pairs["generate"].wall[: runs["generate"] - 1], first.rss + pairs["generate"].rss[: runs["generate"] - 1])
    res["promtool check rules"] = pairs["promtool check rules"]
    shutil.rmtree(scratch, ignore_errors=True)
    log(f"{size}: generate --check x{runs['check']}, import floor alongside")
    pairs = interleaved(runs["check"], {"generate --check": {"argv": [*gen, "--check", "--out", str(ref)]}, "import floor": {"argv": floor}})
    res.update(pairs)
    log(f"{size}: promtool check config x{runs['promtool']}")
    res["promtool check config"] = repeat(runs["promtool"], [promtool, "check", "config", "prometheus.yml"], cwd=ref / SUBDIR.get(size, ""))
    validate = [*SFMON, "validate", "--spec", str(spec), "--out", str(ref)]
    calls = record_tool_calls(spec, ref, tmp / f"{size}-calls") if runs["tools"] else []
    if calls:
        res["_calls"] = [shlex.join([Path(a[0]).name, *a[1:]]) for a, _ in calls]  # type: ignore[assignment]
    log(f"{size}: validate x{runs['validate']}, its tool runs one after another x{runs['tools']}, interleaved")
    for i in range(max(runs["validate"], runs["tools"])):
        if i < runs["validate"]:
            res.setdefault("validate", Measure())
            wall, rss = timed(validate)
            res["validate"].wall.append(wall)
            res["validate"].rss.append(rss)
        if i < runs["tools"]:
            m = serial_tools(1, calls)
            res.setdefault("tool runs, serial", Measure())
            res["tool runs, serial"].wall += m.wall
            res["tool runs, serial"].rss += m.rss
    return res


def bench_startup(runs: int) -> dict[str, Measure]:
    return {
        "import floor": repeat(runs, [PY, "-c", "import typer, pydantic, jinja2, ruamel.yaml"]),
        "sfmon --version": repeat(runs, [*SFMON, "--version"]),
        "sfmon --help": repeat(runs, [*SFMON, "--help"]),
    }


# --- report -------------------------------------------------------------------------------


def value(results: dict, key: tuple[str, str]) -> float | None:
    size, what = key
    if what == "max sfmon rss":
        r = results.get(size)
        return max(r[k].peak_mb for k in ("generate", "generate --check", "validate") if k in r) if r else None
    m = results.get(size, {}).get(what)
    return m.median if m else None


def report(results: dict, elapsed: float) -> tuple[str, list[dict]]:
    lines = ["| size | command | median wall (s) | peak RSS (MB) | runs |", "|---|---|---:|---:|---:|"]
    for size, res in results.items():
        for what, m in res.items():
            if isinstance(m, Measure):
                lines.append(f"| {size} | {what} | {m.median:.3f} | {m.peak_mb:.0f} | {len(m.wall)} |")
    lines += ["", "| target | measured | limit | ratio to limit | met |", "|---|---:|---:|---:|:---:|"]
    verdicts = []
    for name, num, den, limit in TARGETS:
        a = value(results, num)
        b = value(results, den) if den else 1.0
        if a is None or b is None:
            lines.append(f"| {name} | not measured | {limit:g} | | |")
            continue
        measured = a / b
        met = measured <= limit
        verdicts.append({"target": name, "measured": measured, "limit": limit, "met": met})
        lines.append(f"| {name} | {measured:.3f} | {limit:g} | {measured / limit:.2f} | {'yes' if met else 'NO'} |")
    lines.append(f"\n{len(verdicts)} targets measured, {sum(v['met'] for v in verdicts)} met; bench took {elapsed:.0f} s.")
    return "\n".join(lines), verdicts


def machine() -> dict:
    def version(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "promtool": version(["promtool", "--version"]),
        "amtool": version(["amtool", "--version"]),
        "commit": version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="small,5k,50k,teams")
    ap.add_argument("--runs", type=int, default=None, help="the same repetitions for every measurement (default: RUNS)")
    ap.add_argument("--full", action="store_true", help="also validate (and replay its tool runs) at 5k and 50k: minutes more")
    ap.add_argument("--keep", type=Path, default=None, help="keep specs and outputs in this directory")
    args = ap.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    # Byte-compile sfmon once, as an installed wheel would be; PYTHONDONTWRITEBYTECODE would
    # otherwise make every timed run recompile it.
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "sfmon")], check=True)
    started = time.perf_counter()
    info = machine()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="sfmon-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        results: dict = {"-": bench_startup(args.runs or STARTUP_RUNS)}
        for size in sizes:
            runs = dict(RUNS.get(size, RUNS["50k"]))
            if args.full:
                runs.update({k: max(v, runs[k]) for k, v in FULL.items()})
            if args.runs:
                runs = {k: (args.runs if v else 0) for k, v in runs.items()}
            results[size] = bench_size(size, runs, tmp, log)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    table, verdicts = report(results, elapsed)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    payload = {
        "machine": {**info, "loadavg_end": os.getloadavg()},
        "elapsed_s": elapsed,
        "results": {
            size: {k: (asdict(m) | {"median": m.median, "peak_mb": m.peak_mb}) if isinstance(m, Measure) else m for k, m in res.items()}
            for size, res in results.items()
        },
        "targets": verdicts,
        "table": table,
    }
    for name in (f"bench-{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(payload, indent=2) + "\n")
    log(f"wrote bench/results/bench-{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs promtool and amtool (the real binaries, via subprocess) and turns output into Problems."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from sfmon.problems import Problem, Severity
from sfmon.render.outputs import Output

TIMEOUT = float(os.environ.get("SFMON_TOOL_TIMEOUT", "60"))


class ToolMissing(Exception):
    def __init__(self, tool: str, package: str = "prometheus prometheus-alertmanager"):
        super().__init__(f"{tool} not found on PATH (set SFMON_{tool.upper()} to its path); on Debian: apt-get install {package}")
        self.tool = tool


def find(tool: str) -> str:
    path = os.environ.get(f"SFMON_{tool.upper()}") or shutil.which(tool)
    if not path or not os.access(path, os.X_OK):
        raise ToolMissing(tool)
    return path


@dataclass(frozen=True)
class Run:
    """One tool invocation: what to run, which output file it is about, the check id."""

    check: str
    args: tuple[str, ...]
    file: str  # the file problems are reported against (as the user knows it)
    cwd: str | None = None
    # Turns the output of a failed run into problems; default: parse_failure.
    parse: Optional[Callable[["Run", str], list[Problem]]] = None
    # Judges the output of a run that succeeded (amtool template render: an empty message).
    succeeded: Optional[Callable[["Run", str], list[Problem]]] = None


MAX_OUTPUT = 1 << 20  # bytes of a tool's stdout and of its stderr that are read back
MAX_PROBLEMS = 200  # problems kept from one run


def run(job: Run) -> list[Problem]:
    """Run one tool, bounded: TIMEOUT seconds, then its whole process group is killed;
    output goes to files, not pipes, so a left-over child cannot hold a read open, and
    at most MAX_OUTPUT bytes of each stream are read back."""
    tool = job.args[0]
    exe = find(tool)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                [exe, *job.args[1:]], cwd=job.cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
            )
        except OSError as exc:
            return [_p(job, 0, f"{tool} could not be started: {exc}")]
        try:
            returncode = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return [_p(job, 0, f"{tool} did not finish within {TIMEOUT:g}s and was stopped ({' '.join(job.args)})")]
        except BaseException:  # Ctrl-C while waiting: take the tool down with us
            _kill_group(proc)
            raise
        if returncode == 0:
            return job.succeeded(job, _head(out)) if job.succeeded is not None else []
        if returncode < 0:
            return [_p(job, 0, f"{tool} crashed (signal {-returncode}) running {' '.join(job.args[1:])}")]
        text = "".join(_head(f) for f in (out, err))
    problems = (job.parse or parse_failure)(job, text)
    if len(problems) > MAX_PROBLEMS:  # a tool that floods its output is reported, not replayed
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS] + [_p(job, 0, f"{tool}: {more:,} more lines of output not shown")]
    return problems


def _head(fh: Any) -> str:
    fh.seek(0)
    return fh.read(MAX_OUTPUT).decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


# Lines that report progress or success, never a reason: promtool's "Checking x" and its
# SUCCESS lines (indented by one or two spaces), amtool's closing count. Every other line of
# a failed run is kept: the reason is often on the line after a bare "FAILED:". The
# exporters log (logfmt) their start at level info before the error line that says why.
_NOISE = re.compile(
    r"^\s*(?:Checking \S+\s*$|SUCCESS\b|Found:|Unit Testing: |Warning: --config\.file|amtool: error: failed to validate|FAILED:\s*$)"
    r"|^(?:ts|time)=\S+ (?:\S+ )*?level=(?:info|INFO|debug|DEBUG)\b"
)
# amtool and promtool put the reason after the file on one line: "Checking 'x'  FAILED: why".
_FAILED = re.compile(r"^\s*(?:Checking\s+'?[^']*?'?\s+)?FAILED:\s*")
_LINE = re.compile(r"\bline (\d+)(?::(\d+))?")


def parse_failure(job: Run, output: str) -> list[Problem]:
    """One problem per meaningful line of a failed run, with the YAML line when the tool gives it."""
    problems = []
    for raw in output.splitlines():
        if not raw.strip() or _NOISE.match(raw):
            continue
        text = _FAILED.sub("", raw).strip()
        if not text:
            continue
        m = _LINE.search(text)
        problems.append(_p(job, int(m.group(1)) if m else 0, text, int(m.group(2) or 1) if m else 0))
    return problems or [_p(job, 0, f"{job.args[0]} failed with no message ({' '.join(job.args[1:])})")]


def _p(job: Run, line: int, message: str, column: int = 0) -> Problem:
    return Problem(job.file, line, column, job.check, Severity.ERROR, message)


def parse_web_config(job: Run, output: str) -> list[Problem]:
    # "<file> FAILED: <why>": the message needs only the why; the problem names the file.
    return parse_failure(job, re.sub(r"(?m)^\S+ FAILED: ", "", output))


def written(output: Output, workdir: Path) -> list[str]:
    """The files of an output entry that are in `workdir`, relative to it (a template
    override decides what the render wrote)."""
    if output.pattern:
        return sorted(p.relative_to(workdir).as_posix() for p in workdir.glob(output.path.replace("{}", "*")) if p.is_file())
    return [output.path] if (workdir / output.path).is_file() else []


def file_runs(output: Output, workdir: Path, label: str, parse: Optional[Callable[[Run, str], list[Problem]]] = None) -> list[Run]:
    """The entry's tool, once per file of it in `workdir`."""
    assert output.tool is not None
    return [
        Run(output.tool.check, output.tool.args(rel), f"{label}/{rel}", str(workdir), parse)
        for rel in written(output, workdir)
    ]

"""Reporters: text (colour only on a terminal), JSON lines, GitHub workflow annotations."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SPEC, run_sfmon
from sfmon import reporters
from sfmon.problems import Problem, Severity

# GitHub's workflow-command grammar: properties escape % CR LF : , and the message % CR LF.
_PROP = r"(?:[^%:,\r\n]|%25|%0D|%0A|%3A|%2C)*"
_MSG = r"(?:[^%\r\n]|%25|%0D|%0A)*"
ANNOTATION = re.compile(
    rf"^::(error|warning|notice) file=({_PROP})(?:,line=([1-9]\d*)(?:,col=([1-9]\d*))?)?,title=({_PROP})::({_MSG})$"
)

NASTY = [
    Problem("specs/a,b:c.yaml", 12, 7, "promql/metrics", Severity.WARNING, "50% of\r\nlines: a, b :: c %0A"),
    Problem("specs/specs.yaml", 3, 0, "spec/load", Severity.ERROR, "plain"),
    Problem("generated/alerts.yml", 0, 0, "write/drift", Severity.INFO, "stale: run `sfmon generate`"),
]


def unescape(value: str) -> str:
    # What the runner does; %25 last so "%250A" stays "%0A".
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(code, char)
    return value


def test_github_lines_match_the_grammar_and_round_trip():
    lines = reporters.github(NASTY).split("\n")
    assert len(lines) == len(NASTY)
    for line, p in zip(lines, NASTY):
        m = ANNOTATION.match(line)
        assert m, line
        level, file, ln, col, title, message = m.groups()
        assert level == {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}[p.severity]
        assert unescape(file) == p.file
        assert unescape(message) == p.message
        assert unescape(title) == f"sfmon {p.check}"
        assert (int(ln or 0), int(col or 0)) == (p.line, p.column if p.line else 0)
    assert lines[0] == (
        "::warning file=specs/a%2Cb%3Ac.yaml,line=12,col=7,title=sfmon promql/metrics::50%25 of%0D%0Alines: a, b :: c %250A"
    )
    assert lines[2] == "::notice file=generated/alerts.yml,title=sfmon write/drift::stale: run `sfmon generate`"


def test_json_is_one_object_per_problem():
    lines = reporters.as_json(NASTY).split("\n")
    assert [json.loads(line) for line in lines] == [
        {
            "file": p.file,
            "line": p.line,
            "column": p.column,
            "check": p.check,
            "severity": str(p.severity),
            "message": p.message,
        }
        for p in NASTY
    ]


def test_text_colours_only_the_severity_when_asked():
    plain = reporters.text(NASTY[1:])
    assert plain == "specs/specs.yaml:3:1: error: plain [spec/load]\ngenerated/alerts.yml: info: stale: run `sfmon generate` [write/drift]"
    coloured = reporters.text(NASTY[1:2], colour=True)
    assert coloured == "specs/specs.yaml:3:1: \033[31merror\033[0m: plain [spec/load]"


def test_text_neutralises_control_characters_and_indents_continuations():
    evil = Problem("f.yaml", 1, 2, "spec/load", Severity.ERROR, "first\r\nsecond \x1b[32mok\x1b[0m\rthird")
    assert reporters.text([evil]) == "f.yaml:1:2: error: first\n    second \\x1b[32mok\\x1b[0m\\rthird [spec/load]"


@pytest.mark.parametrize(
    "isatty, env, expected",
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value disables
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_use_colour(isatty, env, expected):
    assert reporters.use_colour(isatty, env) is expected


def _spec_with_problems(tmp_path: Path) -> Path:
    """The default spec with one warning (misspelt metric) and one error (unknown receiver)."""
    text = SPEC.read_text(encoding="utf-8")
    text = text.replace("numerator: cache_hits_total", "numerator: cache_hit_total", 1)
    text = text.replace("receiver: ops-email", "receiver: ops-mail", 1)
    path = tmp_path / "specs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_github_format_emits_only_valid_annotations(tmp_path):
    spec = _spec_with_problems(tmp_path)
    for command in ("generate", "validate"):
        result = run_sfmon(command, "--spec", str(spec), "--format", "github")
        assert result.returncode == 1, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 2
        for line in lines:
            m = ANNOTATION.match(line)
            assert m and m.group(3) and m.group(4), line  # spec problems carry line and column
        assert [ANNOTATION.match(line).group(1) for line in lines] == ["warning", "error"]


def test_cli_json_format_is_parseable_and_text_has_no_colour_in_a_pipe(tmp_path):
    spec = _spec_with_problems(tmp_path)
    result = run_sfmon("generate", "--spec", str(spec), "--format", "json")
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["check"], o["severity"]) for o in objects] == [("promql/metrics", "warning"), ("names/references", "error")]
    assert all(o["file"] == str(spec) and o["line"] > 0 and o["column"] > 0 for o in objects)
    text = run_sfmon("generate", "--spec", str(spec))
    assert "\033" not in text.stdout and "warning: alerts[7].numerator" in text.stdout


def _run_in_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run the CLI (with exactly `env`) with stdout on a pseudo-terminal, as at a shell."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfmon", *args], cwd=ROOT, stdout=follower, stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_text_is_coloured_on_a_terminal_unless_no_color(tmp_path):
    spec = str(_spec_with_problems(tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    coloured = _run_in_terminal(["generate", "--spec", spec], {**env, "TERM": "xterm"})
    assert "\033[33mwarning\033[0m" in coloured and "\033[31merror\033[0m" in coloured
    plain = _run_in_terminal(["generate", "--spec", spec], {**env, "TERM": "xterm", "NO_COLOR": "1"})
    assert "warning: alerts[7].numerator" in plain and "\033[" not in plain

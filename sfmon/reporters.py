"""Problems as text for people, JSON for machines, annotations for GitHub pull requests.

REPORTERS maps each `--format` name to `reporter(problems, colour) -> str`. A warning the
spec acknowledges is shown as acknowledged, with its reason, never as a warning."""

from __future__ import annotations

import json
import re
from typing import Callable, Iterable, Mapping

from sfmon.problems import Problem, Severity

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}


def use_colour(isatty: bool, env: Mapping[str, str]) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (no-color.org) or TERM=dumb."""
    return isatty and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _printable(value: str) -> str:
    """Message text safe for a terminal: control characters (ESC, CR, ...) shown escaped, so a
    value from the spec or a tool cannot move the cursor or fake a colour; continuation
    lines indented under their problem."""
    value = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], value.replace("\r\n", "\n"))
    return value.replace("\n", "\n    ")


def text(problems: Iterable[Problem], colour: bool = False) -> str:
    lines, acknowledged = [], []
    for p in problems:
        if p.acknowledged:
            acknowledged.append(f"{_printable(p.location())} [{p.check}] ({_printable(p.acknowledged)})")
            continue
        sev = f"{_COLOURS[p.severity]}{p.severity}\033[0m" if colour else str(p.severity)
        lines.append(f"{_printable(p.location())}: {sev}: {_printable(p.message)} [{p.check}]")
    if acknowledged:
        n = len(acknowledged)
        lines.append(f"{n} warning{'s' if n > 1 else ''} acknowledged: {'; '.join(acknowledged)}")
    return "\n".join(lines)


def as_json(problems: Iterable[Problem]) -> str:
    return "\n".join(
        json.dumps(
            {
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "check": p.check,
                "severity": str(p.severity),
                "message": p.message,
                **({"acknowledged": True, "reason": p.acknowledged} if p.acknowledged else {}),
            },
            ensure_ascii=False,
        )
        for p in problems
    )


def _gh_escape(value: str, prop: bool = False) -> str:
    # GitHub's workflow-command escaping: %, CR, LF always; ':' and ',' inside properties.
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(problems: Iterable[Problem]) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for p in problems:
        if p.acknowledged:
            continue  # reviewed in the spec: no annotation on the pull request
        props = [f"file={_gh_escape(p.file, True)}"]
        if p.line:
            props.append(f"line={p.line}")
            if p.column:
                props.append(f"col={p.column}")
        props.append(f"title={_gh_escape('sfmon ' + p.check, True)}")
        lines.append(f"::{level[p.severity]} {','.join(props)}::{_gh_escape(p.message)}")
    return "\n".join(lines)


REPORTERS: dict[str, Callable[[list[Problem], bool], str]] = {
    "text": text,
    "json": lambda problems, _colour: as_json(problems),
    "github": lambda problems, _colour: github(problems),
}


def render(problems: list[Problem], fmt: str, colour: bool = False) -> str:
    return REPORTERS[fmt](problems, colour)

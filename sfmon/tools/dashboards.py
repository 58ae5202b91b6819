"""Rendered dashboards against Grafana's own dashboard JSON Schema (vendored in sfmon/schemas)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterator

from sfmon.paths import SCHEMAS
from sfmon.problems import Problem, Severity

CHECK = "grafana/schema"
PREFIX = "grafana/dashboards/"
MAX_MESSAGE = 300  # jsonschema puts the whole offending value in some messages
MAX_PER_FILE = 20  # one broken panel template repeats its finding on every panel
# Import and export wrappers, not part of the dashboard model (the schema's README says strip them).
WRAPPERS = ("__inputs", "__requires", "__elements")


@functools.cache
def validator() -> Any:
    """Built once per process: importing jsonschema takes ~0.15 s, reading and compiling
    the 67 KB schema ~12 ms (2-core dev machine), against seconds for the promtool runs."""
    import jsonschema

    schema = json.loads((SCHEMAS / "grafana" / "dashboard.jsonschema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def check_dashboards(files: dict[str, str], label: str) -> list[Problem]:
    """Problems for every rendered dashboard in `files` ({relative path: text}) that the
    schema refuses, reported as `label`/relative path (render has already parsed the JSON)."""
    problems: list[Problem] = []
    for rel in sorted(files):
        if rel.startswith(PREFIX) and rel.endswith(".json"):
            problems += check_dashboard(files[rel], f"{label}/{rel}")
    return problems


def check_dashboard(text: str, file: str) -> list[Problem]:
    dash = json.loads(text)
    if isinstance(dash, dict):
        dash = {k: v for k, v in dash.items() if k not in WRAPPERS}
    problems = []
    for error in validator().iter_errors(dash):
        best = explain(error)
        path = list(best.absolute_path)
        line, column = position(text, path)
        message = best.message if len(best.message) <= MAX_MESSAGE else best.message[: MAX_MESSAGE - 1] + "…"
        problems.append(Problem(file, line, column, CHECK, Severity.ERROR, f"{json_path(path)}: {message}"))
    problems.sort()
    if len(problems) > MAX_PER_FILE:
        more = len(problems) - MAX_PER_FILE
        problems = problems[:MAX_PER_FILE] + [
            Problem(file, 0, 0, CHECK, Severity.ERROR, f"{more} more schema findings not shown")
        ]
    return problems


def explain(error: Any) -> Any:
    """The finding to report for `error`. A oneOf failure (a panel is a Panel or a RowPanel)
    says only "not valid under any of the given schemas" about the whole panel. The branch the
    author meant is the one whose shape fits: fewest complaints about the value itself (unknown
    or missing keys), then fewest complaints; its most specific complaint is the one to fix.
    (jsonschema's best_match takes the deepest complaint of any branch: for a timeseries panel
    with one unknown key, "'row' was expected".)"""
    from jsonschema.exceptions import relevance

    while error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = min(branches.values(), key=lambda subs: (sum(not s.path for s in subs), len(subs)))
        error = max(meant, key=relevance)
    return error


def json_path(path: list[str | int]) -> str:
    """`$.panels[3].fieldConfig`: the path as jq and Grafana's own errors spell it."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def position(text: str, path: list[str | int]) -> tuple[int, int]:
    """1-based line and column of the JSON node at `path` in `text`; (0, 0) if not found.
    Only runs for a refused dashboard, so it re-scans the text instead of keeping positions
    for every node of every valid one."""
    offset = _find(text, _skip(text, 0), path)
    if offset is None:
        return 0, 0
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()


def _find(text: str, i: int, path: list[str | int]) -> int | None:
    if not path:
        return i
    want, rest = path[0], path[1:]
    for key, start in _members(text, i):
        if key == want:
            return _find(text, start, rest)
    return None


def _members(text: str, i: int) -> Iterator[tuple[str | int, int]]:
    """(key or index, offset of the value) of the object or array starting at `i`."""
    opener = text[i : i + 1]
    if opener not in ("{", "["):
        return
    closer = "}" if opener == "{" else "]"
    i = _skip(text, i + 1)
    index = 0
    while i < len(text) and text[i] != closer:
        if opener == "{":
            key, i = _DECODER.raw_decode(text, i)
            i = _skip(text, _skip(text, i) + 1)  # past the colon
        else:
            key, index = index, index + 1
        yield key, i
        _, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i : i + 1] == ",":
            i = _skip(text, i + 1)

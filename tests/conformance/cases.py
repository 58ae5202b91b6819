"""Loads the conformance data: YAML files beside this module, one per upstream suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from ruamel.yaml import YAML

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load((HERE / name).read_text(encoding="utf-8"))


def cited(suite: dict[str, Any], key: str = "cases") -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, upstream, case) for every case of a file, whether it has `groups:` or one
    `upstream:` for all its cases; the id names the upstream test and the case's index."""
    groups = suite.get("groups") or [suite]
    for g in groups:
        up = g["upstream"]
        for i, case in enumerate(g.get(key) or []):
            yield f"{up['test']}[{i}]", up, {**case, "_group": g}


def openmetrics_escape(value: str) -> str:
    """How Alertmanager prints a matcher value (and reads it back): \\ \\n \" escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

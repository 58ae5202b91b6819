"""Extra tool runs that prove behaviour (rule unit tests, routing tests). Filled by later work."""

from __future__ import annotations

from pathlib import Path

from sfmon.tools import Run


def proof_runs(workdir: Path, label: str) -> list[Run]:
    return []

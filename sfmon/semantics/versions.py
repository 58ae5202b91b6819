"""Prometheus and Alertmanager release versions: what a spec targets and what a tool reports."""

from __future__ import annotations

import re
from typing import NamedTuple

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


class Version(NamedTuple):
    major: int
    minor: int
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def parse_version(text: str) -> Version | None:
    """`3.5`, `3.5.1`, `v0.25.0`; None when the text is no version."""
    m = _VERSION.fullmatch(text.strip())
    return Version(int(m[1]), int(m[2]), int(m[3] or 0)) if m else None


_REPORTED = re.compile(r"\bversion (\d+\.\d+\.\d+)")


def reported_version(output: str) -> Version | None:
    """The version in a tool's `--version` output: `promtool, version 2.42.0+ds (branch: ...)`."""
    m = _REPORTED.search(output)
    return parse_version(m[1]) if m else None

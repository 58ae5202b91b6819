"""The spec's maintenance windows as Alertmanager silences (API v2 PostableSilence, the
objects `amtool silence import` reads): one per window, in spec order.

Ownership: each silence's comment ends with `[sfmon PROJECT/NAME]`. `sfmon silences apply`
touches only silences carrying its project's tag, and finds a window's silence by its name,
so an edited window updates its silence instead of adding one.
"""

from __future__ import annotations

import re
from typing import Any

from sfmon.semantics.matchers import parse_one

_TAG = re.compile(r" \[sfmon ([a-z0-9_-]+)/([a-z0-9_-]+)\]\Z")


def tag(project: str, name: str) -> str:
    return f" [sfmon {project}/{name}]"


def owner(comment: str) -> tuple[str, str] | None:
    """(project, window name) of a silence sfmon made, from its comment; None for any other."""
    m = _TAG.search(comment or "")
    return (m[1], m[2]) if m else None


def api_matcher(text: str) -> dict[str, Any]:
    m = parse_one(text, fallback=True)
    return {"name": m.name, "value": m.value, "isRegex": m.op in ("=~", "!~"), "isEqual": m.op in ("=", "=~")}


def silence(project: str, window: Any) -> dict[str, Any]:
    """One window as a PostableSilence (no id: Alertmanager assigns it)."""
    return {
        "matchers": [api_matcher(m) for m in window.matchers],
        "startsAt": window.utc("start"),
        "endsAt": window.utc("end"),
        "createdBy": window.creator,
        "comment": window.comment + tag(project, window.name),
    }


def silences(spec: Any) -> list[dict[str, Any]]:
    return [silence(spec.project, w) for w in spec.maintenance]

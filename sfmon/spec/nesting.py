"""How deep a YAML text nests, measured without building it.

The loader asks before any parser constructs the document: libyaml's scanner slows
quadratically with flow depth and ruamel's composer recurses in C once per level, so a
document of 100,000 nested `[` took 75 s and then crashed the process (SIGSEGV).
"""

from __future__ import annotations

from typing import Any

from sfmon.spec.fastyaml import quiet_stderr

RYML_EMIT_DEPTH = 64  # rapidyaml's emitter refuses trees deeper than this (root = 0)


def too_deep(text: str, limit: int) -> tuple[int, int] | None:
    """(line, column) of the first collection nested deeper than `limit`, or None.

    rapidyaml parses any nesting in linear time and its emitter stops past depth 64, so
    one parse and one emit (~30 ms per MB) clear an ordinary text. Otherwise libyaml's
    event stream, stopped at the first level past the limit (before its cost grows),
    says where.
    """
    if limit >= RYML_EMIT_DEPTH and _ryml_emits(text):
        return None
    return _first_too_deep(text, limit)


def _ryml_emits(text: str) -> bool:
    try:
        import ryml
    except ImportError:
        return False
    try:
        with quiet_stderr():
            ryml.emit_json(ryml.parse_in_arena(text.encode("utf-8")))
    except Exception:  # too deep, or a text rapidyaml does not take: the event stream decides
        return False
    return True


def _first_too_deep(text: str, limit: int) -> tuple[int, int] | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    depth = 0  # the document's root collection is at depth 0, like the loader counts
    events: Any = YAML(typ="safe").parse(text)
    try:
        for ev in events:
            if isinstance(ev, CollectionStartEvent):
                if depth > limit:
                    return ev.start_mark.line + 1, ev.start_mark.column + 1
                depth += 1
            elif isinstance(ev, CollectionEndEvent):
                depth -= 1
    except Exception:  # a syntax error before any deep node: the loader reports it
        return None
    return None

"""Places a spec location (`('alerts', 3, 'above')`) back in the YAML text as line and column.

The fast loader keeps no positions; only when something must be reported do we parse the
text again in ruamel's round-trip mode, which records where every key and item starts.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Sequence


class SourceMap:
    def __init__(self, file: str, text: str):
        self.file = file
        self.text = text

    @cached_property
    def _tree(self) -> Any:
        from ruamel.yaml import YAML

        try:
            return YAML(typ="rt", pure=True).load(self.text)
        except Exception:  # the fast load succeeded, so this is not expected; degrade to no positions
            return None

    def where(self, loc: Sequence[Any], key: bool = False) -> tuple[str, int, int]:
        """(file, line, column) of `loc`; overlays (sfmon/overlay.py) answer with their own file."""
        return (self.file, *self.locate(loc, key=key))

    def locate(self, loc: Sequence[Any], key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `loc` (of its key when `key`), or the
        nearest enclosing node that exists. Discriminated-union tags in `loc` are skipped."""
        node = self._tree
        pos = (1, 1)
        if node is None:
            return (0, 0)
        if hasattr(node, "lc"):
            pos = (node.lc.line + 1, node.lc.col + 1)
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            if _is_tag(node, loc, i):
                continue
            if isinstance(node, dict) and part in node:
                kl, kc = node.lc.key(part)
                vl, vc = node.lc.value(part)
                pos = (kl + 1, kc + 1) if key and last else (vl + 1, vc + 1)
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                il, ic = node.lc.item(part)
                pos = (il + 1, ic + 1)
                node = node[part]
            else:
                break
        return pos


def dotted(loc: Sequence[Any], data: Any) -> str:
    """`alerts[3].above` for ('alerts', 3, 'error_ratio', 'above'), skipping union tags."""
    out = ""
    node = data
    for i, part in enumerate(loc):
        if _is_tag(node, loc, i):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            continue
        out += f".{part}" if out else str(part)
        node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _is_tag(node: Any, loc: Sequence[Any], i: int) -> bool:
    """Whether loc[i] is the discriminated-union tag pydantic inserts, even when the tag
    is also a key of the node (`kind: expr` has a field `expr`: loc (..., 'expr', 'expr'))."""
    if not isinstance(node, dict) or node.get("kind") != loc[i]:
        return False
    return loc[i] not in node or (i + 1 < len(loc) and loc[i + 1] in node)

"""Places a spec location (`('alerts', 3, 'above')`) back in the YAML text as line and column.

The fast loader keeps no positions; only when something must be reported do we read the
text again, as a stream of parser events from ruamel's C parser, into a light index of
where every key and item starts. (Round-trip mode did the same job in pure Python: 110 s
and 900 MB for a 10 MB spec; the event index takes a few seconds.)
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Sequence

# A position is packed into one int, line << 32 | column (1-based), to keep the index small.
_SHIFT = 32


def _pos(mark: Any) -> int:
    return (mark.line + 1) << _SHIFT | (mark.column + 1)


def _unpack(pos: int) -> tuple[int, int]:
    return pos >> _SHIFT, pos & ((1 << _SHIFT) - 1)


class _Map:
    __slots__ = ("pos", "keys", "kind", "merged")

    def __init__(self, pos: int):
        self.pos = pos
        self.keys: dict[str, tuple[int, Any]] = {}  # key text -> (key position, child)
        self.kind: str | None = None  # the text of a `kind:` value: the discriminated-union tag
        self.merged: list[_Map] = []  # mappings pulled in with `<<:`

    def get(self, part: Any) -> tuple[int, Any] | None:
        for text in _key_texts(part):
            hit = self.keys.get(text)
            if hit is not None:
                return hit
        for other in self.merged:
            hit = other.get(part)
            if hit is not None:
                return hit
        return None


class _Seq:
    __slots__ = ("pos", "items")

    def __init__(self, pos: int):
        self.pos = pos
        self.items: list[Any] = []


class _Alias:
    """An alias to a collection: placed where the alias is written, navigated into its anchor."""

    __slots__ = ("pos", "target")

    def __init__(self, pos: int, target: Any):
        self.pos = pos
        self.target = target


def _child_pos(child: Any) -> int:
    return child if isinstance(child, int) else child.pos


def _key_texts(part: Any) -> tuple[str, ...]:
    """How a loaded key may be spelt in the YAML text (the loader resolved `1`, `true`)."""
    if isinstance(part, bool):
        return ("true", "True", "TRUE") if part else ("false", "False", "FALSE")
    if part is None:
        return ("null", "~", "Null", "NULL", "")
    return (str(part),)


_NO_KEY = object()  # a complex or aliased key: never matches a location


def build_index(text: str) -> Any:
    """The root node of the position index of `text` (None for an empty document)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceStartEvent,
    )

    anchors: dict[str, Any] = {}
    stack: list[list[Any]] = []  # [container, pending key text or None, pending key position]
    root: Any = None

    def attach(child: Any, anchor: Any) -> None:
        nonlocal root
        if anchor:
            anchors[anchor] = child
        if not stack:
            root = child
            return
        frame = stack[-1]
        node = frame[0]
        if isinstance(node, _Seq):
            node.items.append(child)
        elif frame[1] is None:  # a collection as a mapping key: never looked up
            frame[1], frame[2] = _NO_KEY, 0
        else:
            key, kpos = frame[1], frame[2]
            frame[1] = None
            if key == "<<":
                targets = _deref(child).items if isinstance(_deref(child), _Seq) else [child]
                node.merged.extend(t for t in map(_deref, targets) if isinstance(t, _Map))
            elif key is not _NO_KEY and key not in node.keys:
                node.keys[key] = (kpos, child)

    for ev in YAML(typ="safe").parse(text):
        cls = type(ev)
        if cls is ScalarEvent:
            frame = stack[-1] if stack else None
            if frame is not None and isinstance(frame[0], _Map) and frame[1] is None:
                frame[1], frame[2] = ev.value, _pos(ev.start_mark)  # a key
                if ev.anchor:
                    anchors[ev.anchor] = _pos(ev.start_mark)
                continue
            if frame is not None and isinstance(frame[0], _Map) and frame[1] == "kind":
                frame[0].kind = ev.value
            attach(_pos(ev.start_mark), ev.anchor)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            node = (_Map if cls is MappingStartEvent else _Seq)(_pos(ev.start_mark))
            attach(node, ev.anchor)
            stack.append([node, None, 0])
        elif isinstance(ev, CollectionEndEvent):
            stack.pop()
        elif cls is AliasEvent:
            target = anchors.get(ev.anchor)
            frame = stack[-1] if stack else None
            if frame is not None and isinstance(frame[0], _Map) and frame[1] is None:
                frame[1], frame[2] = _NO_KEY, 0
                continue
            # An alias is placed where it is written; navigation continues in its anchor.
            here = _pos(ev.start_mark)
            attach(_Alias(here, _deref(target)) if isinstance(target, (_Map, _Seq, _Alias)) else here, None)
    return root


def _deref(node: Any) -> Any:
    return node.target if isinstance(node, _Alias) else node


class SourceMap:
    def __init__(self, file: str, text: str):
        self.file = file
        self.text = text

    @cached_property
    def _index(self) -> Any:
        try:
            return build_index(self.text)
        except Exception:  # the fast load succeeded, so this is not expected; degrade to no positions
            return None

    def release(self) -> None:
        """Drop the position index (rebuilt if asked again): ~4x the text's size in objects,
        200 MB at 50k alerts, which a caller done placing problems need not carry on."""
        self.__dict__.pop("_index", None)

    def where(self, loc: Sequence[Any], key: bool = False) -> tuple[str, int, int]:
        """(file, line, column) of `loc`; overlays (sfmon/overlay.py) answer with their own file."""
        return (self.file, *self.locate(loc, key=key))

    def locate(self, loc: Sequence[Any], key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `loc` (of its key when `key`), or the
        nearest enclosing node that exists. Discriminated-union tags in `loc` are skipped."""
        node = self._index
        if node is None:
            return (0, 0)
        pos = node.pos if not isinstance(node, int) else node
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            node = _deref(node)
            if isinstance(node, _Map):
                if _index_tag(node, loc, i):
                    continue
                hit = node.get(part)
                if hit is None:
                    break
                kpos, child = hit
                pos = kpos if key and last else _child_pos(child)
                node = child
            elif isinstance(node, _Seq) and isinstance(part, int) and 0 <= part < len(node.items):
                node = node.items[part]
                pos = _child_pos(node)
            else:
                break
        return _unpack(pos)


def _index_tag(node: _Map, loc: Sequence[Any], i: int) -> bool:
    """`_is_tag` for the position index."""
    if node.kind is None or node.kind != loc[i]:
        return False
    return node.get(loc[i]) is None or (i + 1 < len(loc) and node.get(loc[i + 1]) is not None)


def dotted(loc: Sequence[Any], data: Any) -> str:
    """`alerts[3].above` for ('alerts', 3, 'error_ratio', 'above'), skipping union tags."""
    out = ""
    node = data
    for i, part in enumerate(loc):
        if _is_tag(node, loc, i):
            continue
        if isinstance(part, int) and not isinstance(node, dict):
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

"""Keys a YAML merge key (`<<: *base`) hides: a mapping that gets the same key from two
places (written and merged, or two merged mappings) silently keeps one of them, so the
spec would say two things and sfmon would read one. Refused, placed at the later key."""

from __future__ import annotations

from typing import Any, Iterator


def hidden_duplicates(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column, key) of each key given twice in one mapping through a merge key.
    Only called when the text holds '<<'; the text has already parsed."""
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    root = YAML(typ="safe").compose(text)
    seen: set[int] = set()

    def keys(node: Any, depth: int = 0) -> list[tuple[str, Any]]:
        """Every (key, key node) a mapping defines, merged ones included, in merge order."""
        if not isinstance(node, MappingNode) or depth > 64:
            return []
        out: list[tuple[str, Any]] = []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                for m in v.value if isinstance(v, SequenceNode) else [v]:
                    out += keys(m, depth + 1)
            else:
                out.append((str(k.value), k))
        return out

    def walk(node: Any, depth: int = 0) -> Iterator[tuple[int, int, str]]:
        if id(node) in seen or depth > 64:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
                first: dict[str, Any] = {}
                for name, knode in keys(node):
                    if name in first:
                        mark = node.start_mark
                        yield mark.line + 1, mark.column + 1, name
                        break
                    first[name] = knode
            for k, v in node.value:
                yield from walk(v, depth + 1)
        elif isinstance(node, SequenceNode):
            for v in node.value:
                yield from walk(v, depth + 1)

    if root is not None:
        yield from walk(root)

"""Keys a YAML merge key (`<<: *base`) hides: in a mapping that holds a merge key, YAML
loaders stop refusing a key written twice and silently keep the last, so the spec would say
two things and sfmon would read one. Refused, placed at the mapping. A written key over a
merged one is YAML's override idiom (the written key wins, as the merge spec says), and
two merged mappings resolve in list order (the first wins): both stay allowed."""

from __future__ import annotations

from typing import Any, Iterator


def hidden_duplicates(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column, key) of each key written twice in a mapping that holds a merge key.
    Only called when the text holds '<<'; the text has already parsed."""
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    root = YAML(typ="safe").compose(text)
    seen: set[int] = set()

    def walk(node: Any, depth: int = 0) -> Iterator[tuple[int, int, str]]:
        if id(node) in seen or depth > 64:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
                written: set[str] = set()
                for k, _ in node.value:
                    if k.tag == "tag:yaml.org,2002:merge":
                        continue
                    name = str(k.value)
                    if name in written:
                        yield k.start_mark.line + 1, k.start_mark.column + 1, name
                        break
                    written.add(name)
            for k, v in node.value:
                yield from walk(v, depth + 1)
        elif isinstance(node, SequenceNode):
            for v in node.value:
                yield from walk(v, depth + 1)

    if root is not None:
        yield from walk(root)

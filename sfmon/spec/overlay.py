"""Overlays: YAML files and `--set path=value` assignments merged over the spec's raw data.

Pure: texts in, data out; the pipeline reads the files. Merge rules (docs/overlays.md):

- mappings merge key by key; an overlay value `null` removes the key, so the model's
  default applies (e.g. switching off an optional block);
- lists of named items (every item a mapping with a `name`, or else a `uid` or a `record`:
  targets, alerts, receivers, dashboards, catalog families, recording rules, ...) merge
  item by item on that key;
  new names are appended;
- any other list, and any scalar, is replaced.

`--set` paths are dotted keys with list selectors: `targets[0].addresses`, or by name
`targets[api].addresses`, `alerts[ApiDown].for`. Files apply in order, then each --set.

Every value an overlay puts in the data remembers its origin, so a problem found in it
later is placed in the overlay file (line:col) or names the --set argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from sfmon.problems import Problem, Severity, SpecError
from sfmon.spec.sourcemap import SourceMap

CHECK = "spec/overlay"
NAME_KEYS = ("name", "uid", "record")

Path = tuple  # of str (mapping keys) and int (list indexes)


@dataclass(frozen=True)
class Origin:
    """Where an overlaid value was written: a file (placed via its source map) or a --set."""

    file: str
    path: Path = ()
    smap: SourceMap | None = None

    def where(self, rest: Path, key: bool = False) -> tuple[str, int, int]:
        if self.smap is None:
            return (self.file, 0, 0)
        return (self.file, *self.smap.locate((*self.path, *rest), key=key))


def _fail(file: str, message: str, line: int = 0, col: int = 0) -> SpecError:
    return SpecError([Problem(file, line, col, CHECK, Severity.ERROR, message)])


# --- merging files ------------------------------------------------------------------------


def _name_key(base: Any, over: Any) -> str | None:
    """The key lists `base` and `over` are merged on, or None when they are replaced."""
    if not (isinstance(base, list) and isinstance(over, list)):
        return None
    items = [*base, *over]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in NAME_KEYS:
        if all(isinstance(i.get(key), str) for i in items):
            return key
    return None


def _record(prov: dict[Path, Origin], at: Path, origin: Origin) -> None:
    """`at` now holds an overlay's value: forget older origins beneath it."""
    for old in [p for p in prov if p[: len(at)] == at]:
        del prov[old]
    prov[at] = origin


def _forget(prov: dict[Path, Origin], at: Path) -> None:
    for old in [p for p in prov if p[: len(at)] == at]:
        del prov[old]


def _merge(base: Any, over: Any, at: Path, src: Path, origin: Origin, prov: dict[Path, Origin], strict: bool = False) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if strict and not at and k in ROOT_ONLY:
                raise _fail(origin.file, f"{k}: an environment overlay may not set {k!r}; only the root spec does", *origin.where((k,), key=True)[1:])
            if v is None:
                out.pop(k, None)
                _forget(prov, (*at, k))
            elif k in base:
                out[k] = _merge(base[k], v, (*at, k), (*src, k), origin, prov, strict)
            else:
                out[k] = v
                _record(prov, (*at, k), Origin(origin.file, (*src, k), origin.smap))
        return out
    key = _name_key(base, over)
    if key is not None:
        out_list = list(base)
        index = {item[key]: i for i, item in enumerate(base)}
        for j, item in enumerate(over):
            i = index.get(item[key])
            if i is None and strict:
                raise _unknown_item(at, src, j, key, item[key], list(index), origin)
            if i is None:
                index[item[key]] = len(out_list)
                _record(prov, (*at, len(out_list)), Origin(origin.file, (*src, j), origin.smap))
                out_list.append(item)
            else:
                out_list[i] = _merge(out_list[i], item, (*at, i), (*src, j), origin, prov, strict)
        return out_list
    _record(prov, at, Origin(origin.file, src, origin.smap))
    return over


ROOT_ONLY = ("include", "environments")  # what an environment overlay may not set


def _unknown_item(at: Path, src: Path, j: int, key: str, name: str, names: list[str], origin: Origin) -> SpecError:
    from sfmon.problems import hint

    shown = _show(at) or "the spec"
    what = {"alerts": "alert", "targets": "target", "receivers": "receiver", "dashboards": "dashboard"}.get(str(at[-1]) if at else "", "item")
    message = (
        f"{_show(src)}[{j}].{key}: {shown} has no {what} {key == 'name' and 'named ' or key + ' '}{name!r}"
        + (hint(name, names) or "")
        + "; an environment overlay changes what the spec defines and adds nothing (define it in the spec, `enabled: false` for an alert)"
    )
    return _fail(origin.file, message, *origin.where((*src, j, key))[1:])


def merge_file(base: dict, file: str, text: str, prov: dict[Path, Origin], strict: bool = False) -> dict:
    """`base` with the overlay document `text` (from `file`) merged over it. `strict` (an
    environment's overlay): a named item the base lacks is refused instead of appended."""
    from sfmon.spec.loader import parse_yaml

    over = parse_yaml(file, text)
    if over is None:
        return base
    if not isinstance(over, dict):
        raise _fail(file, "an overlay must be a mapping of spec keys (like the spec itself)", 1, 1)
    return _merge(base, over, (), (), Origin(file, (), SourceMap(file, text)), prov, strict)


# --- --set ------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"(?:^|\.)([^.\[\]=\s]+)|\[([^\[\]]+)\]")


def parse_path(text: str) -> list[str | int | tuple[str]] | int:
    """`targets[api].addresses` -> ['targets', ('api',), 'addresses']: keys, list indexes, and
    1-tuples for `[name]` selectors; or the offset where the text stops being a path."""
    path: list[str | int | tuple[str]] = []
    pos = 0
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if not m:
            return pos
        if m.group(1) is not None:
            path.append(m.group(1))
        else:
            sel = m.group(2).strip()
            path.append(int(sel) if re.fullmatch(r"-?\d+", sel) else (sel,))
        pos = m.end()
    return path


def find_item(node: list, part: int | tuple[str]) -> int | None:
    """The index a selector (an index, or a 1-tuple name or uid) names in a list, or None."""
    if isinstance(part, int):
        return part if 0 <= part < len(node) else None
    (name,) = part
    return next((i for i, item in enumerate(node) if isinstance(item, dict) and any(item.get(k) == name for k in NAME_KEYS)), None)


def parse_set(arg: str) -> tuple[list[str | int | tuple[str]], Any]:
    """`targets[api].addresses=["127.0.0.1:8000"]` -> (['targets', ('api',), 'addresses'], [...]).

    A selector `[N]` is a list index; `[word]` picks the item whose name (or uid) is word,
    returned as a 1-tuple. The value is YAML."""
    from sfmon.spec.loader import parse_yaml

    label = f"--set {arg}"
    path_text, eq, value_text = arg.partition("=")
    if not eq or not path_text.strip():
        raise _fail(label, "expected PATH=VALUE, e.g. prometheus.scrape_interval=5s or targets[api].addresses=['127.0.0.1:8000']")
    text = path_text.strip()
    path = parse_path(text)
    if isinstance(path, int):
        raise _fail(label, f"cannot read the path {text!r} at character {path + 1}; use keys joined by '.' and [index] or [name]")
    if not isinstance(path[0], str):
        raise _fail(label, "a path starts with a key, e.g. targets[0], not a selector")
    return path, parse_yaml(label, value_text)


def _resolve(node: Any, part: str | int | tuple[str], label: str, shown: str) -> int:
    """The list index a selector names in `node`."""
    if not isinstance(node, list):
        raise _fail(label, f"{shown} is not a list, so [{part if not isinstance(part, tuple) else part[0]}] selects nothing")
    index = find_item(node, part)
    if index is not None:
        return index
    if isinstance(part, int):
        raise _fail(label, f"{shown} has {len(node)} items; index {part} is out of range")
    (name,) = part
    names = [str(item.get("name", item.get("uid"))) for item in node if isinstance(item, dict)]
    from sfmon.problems import hint

    raise _fail(label, f"{shown} has no item named {name!r}" + (hint(name, names) or f" (names: {', '.join(names)})"))


def apply_set(data: dict, arg: str, prov: dict[Path, Origin]) -> dict:
    """`data` with one --set assignment applied (copies along the path; `data` is not changed)."""
    label = f"--set {arg}"
    path, value = parse_set(arg)
    at: list[str | int] = []

    def assign(node: Any, i: int) -> Any:
        part = path[i]
        last = i == len(path) - 1
        shown = _show(at) or "the spec"
        if isinstance(part, str):
            if node is None:
                node = {}
            if not isinstance(node, dict):
                raise _fail(label, f"{shown} is not a mapping, so it has no key {part!r}")
            out = dict(node)
            at.append(part)
            if last and value is None:
                out.pop(part, None)
                _forget(prov, tuple(at))
            elif last:
                out[part] = value
            else:
                out[part] = assign(node.get(part), i + 1)
            return out
        idx = _resolve(node, part, label, shown)
        at.append(idx)
        if last and value is None:
            raise _fail(label, f"cannot remove {_show(at)}: list items are replaced, not removed; set the whole list")
        out_list = list(node)
        out_list[idx] = value if last else assign(node[idx], i + 1)
        return out_list

    result = assign(data, 0)
    if value is not None:
        _record(prov, tuple(at), Origin(label))
    return result


def _show(path: Sequence[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


# --- the layered source map ---------------------------------------------------------------------


class LayeredSourceMap(SourceMap):
    """Places a location in the overlay that set it, else in the base spec."""

    def __init__(self, base: SourceMap, data: Any, prov: dict[Path, Origin]):
        super().__init__(base.file, base.text)
        self.base = base
        self.data = data
        self.prov = prov

    def where(self, loc: Sequence[Any], key: bool = False) -> tuple[str, int, int]:
        path = data_path(loc, self.data)
        for n in range(len(path), 0, -1):
            origin = self.prov.get(path[:n])
            if origin is not None:
                return origin.where(path[n:], key)
        return (self.base.file, *self.base.locate(loc, key=key))

    def locate(self, loc: Sequence[Any], key: bool = False) -> tuple[int, int]:
        return self.where(loc, key)[1:]


def data_path(loc: Sequence[Any], data: Any) -> Path:
    """A pydantic location without its discriminated-union tags: a path into the data."""
    out: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and node.get("kind") == part and (part not in node or (i + 1 < len(loc) and loc[i + 1] in node)):
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def layered(
    base_data: Any,
    smap: SourceMap,
    files: Sequence[tuple[str, str]],
    sets: Sequence[str],
    prov: dict[Path, Origin] | None = None,
    strict: Sequence[tuple[str, str]] = (),
) -> tuple[Any, SourceMap]:
    """The spec data with every overlay applied, and a source map that knows who set what.
    `prov`: origins already known (included team files); `strict`: environment overlay files,
    merged first, which may only change named items the spec defines."""
    prov = dict(prov or {})
    if not (files or sets or strict or prov) or not isinstance(base_data, dict):
        return base_data, smap
    data = base_data
    for file, text in strict:
        data = merge_file(data, file, text, prov, strict=True)
    for file, text in files:
        data = merge_file(data, file, text, prov)
    for arg in sets:
        data = apply_set(data, arg, prov)
    return data, LayeredSourceMap(smap, data, prov)

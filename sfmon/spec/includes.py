"""Team-owned spec files: the root spec's `include:` patterns, merged into its raw data.

Each included file holds some of `targets`, `alerts`, `recording_rules`, `receivers`,
`dashboards` and `routes` (appended to `routing.routes`, ahead of the root's, so the
root's routes stay the fallback). The file owns what it defines:

- a name (target, alert, receiver, dashboard uid, recording rule record) defined in two
  files is refused, placed at the second definition and naming the first;
- a route in a team file may notify receivers of its own file, and another file's only
  when that receiver says `shared: true` (the leave); the root spec's routes may notify any.

Every included item remembers its origin (overlay.Origin), so any later problem in it,
from the models or the checks, is placed at file:line:col of the team file.
Sources are read through a `Source`, so `sfmon diff --base REF` reads the files at REF.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from sfmon.problems import Problem, Severity, SpecError, hint
from sfmon.spec.overlay import Origin
from sfmon.spec.sourcemap import SourceMap

CHECK = "spec/include"
MAX_FILES = 1_000  # included files; more is a mistake (a pattern matching a whole tree)
# Team file key -> the path of the root's list it extends, and the key that names an item.
SECTIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "targets": (("targets",), "name"),
    "alerts": (("alerts",), "name"),
    "recording_rules": (("recording_rules",), "record"),
    "receivers": (("receivers",), "name"),
    "dashboards": (("dashboards",), "uid"),
    "routes": (("routing", "routes"), None),
}
_WHAT = {"targets": "target", "alerts": "alert", "recording_rules": "recording rule", "receivers": "receiver", "dashboards": "dashboard uid"}

ProvPath = tuple


@dataclass
class Source:
    """Where spec files come from: the working tree (default) or a git ref (sfmon diff --base)."""

    read: Callable[[Path], str]  # text of a file; raises SpecError placed at the file
    listing: Callable[[Path], list[str]] | None = None  # files under a directory, relative posix paths
    label: Callable[[Path], str] = lambda p: p.as_posix()  # how problems name a file

    def glob(self, base: Path, pattern: str) -> list[Path]:
        if self.listing is None:
            return sorted(p for p in base.glob(pattern) if p.is_file())
        return [base / rel for rel in sorted(self.listing(base)) if _matches(rel, pattern)]


def _matches(rel: str, pattern: str) -> bool:
    """Glob match segment by segment: `*` never crosses a `/`, as in Path.glob."""
    a, b = PurePosixPath(rel).parts, PurePosixPath(pattern).parts
    return len(a) == len(b) and all(fnmatch.fnmatchcase(x, y) for x, y in zip(a, b))


def file_source() -> Source:
    from sfmon.spec.loader import read_text

    return Source(read_text)


@dataclass
class Included:
    """The root data with every team file merged in, and who owns what."""

    data: Any
    prov: dict[ProvPath, Origin] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)  # every file read, for the --check memo
    patterns: list[tuple[Path, str, list[str]]] = field(default_factory=list)  # (base, pattern, matches)


def _problem(where: tuple[str, int, int], message: str) -> Problem:
    return Problem(*where, CHECK, Severity.ERROR, message)


def resolve(root_file: str, data: Any, smap: SourceMap, source: Source | None = None, base: Path | None = None) -> Included:
    """Merge the files the root's `include:` names into `data`; raise SpecError with placed problems.
    A malformed `include:` (not a list of strings) is left to the models to report."""
    if not isinstance(data, dict) or not data.get("include"):
        return Included(data)
    patterns = data["include"]
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        return Included(data)
    source = source or file_source()
    base = Path(root_file).parent if base is None else base
    out = Included(dict(data))
    problems: list[Problem] = []
    files: list[tuple[Path, int]] = []
    for i, pattern in enumerate(patterns):
        where = (root_file, *smap.locate(("include", i)))
        if PurePosixPath(pattern).is_absolute() or "**" in pattern:
            problems.append(_problem(where, f"include[{i}]: {pattern!r}: give a path or glob relative to the spec's directory (no '**')"))
            continue
        matches = source.glob(base, pattern)
        out.patterns.append((base, pattern, [m.as_posix() for m in matches]))
        if not matches:
            problems.append(_problem(where, f"include[{i}]: {pattern!r} matches no file under {base.as_posix() or '.'}/"))
        root = Path(root_file)
        if any(m == root or m.resolve() == root.resolve() for m in matches if source.listing is None):
            problems.append(_problem(where, f"include[{i}]: {pattern!r} matches this spec itself; put team files in their own directory, e.g. teams/*.yaml"))
            continue
        files += [(m, i) for m in matches if all(m != f for f, _ in files)]
    if len(files) > MAX_FILES:
        problems.append(_problem((root_file, *smap.locate(("include",))), f"include: {len(files):,} files, over the limit of {MAX_FILES:,}"))
    if problems:
        raise SpecError(problems)
    # Item -> (file, where) of its first definition; the root's items come first.
    owners: dict[tuple[str, str], tuple[str, tuple[str, int, int]]] = {}
    for section, (path, key) in SECTIONS.items():
        for j, item in enumerate(_get(data, path) or []):
            if key and isinstance(item, dict) and isinstance(item.get(key), str):
                owners.setdefault((section, item[key]), (root_file, (root_file, *smap.locate((*path, j, key)))))
    receivers: dict[str, tuple[str, bool]] = {  # receiver name -> (owning file, shared)
        r["name"]: (root_file, r.get("shared") is True)
        for r in (data.get("receivers") if isinstance(data.get("receivers"), list) else [])
        if isinstance(r, dict) and isinstance(r.get("name"), str)
    }
    team_routes: list[tuple[Any, Origin]] = []
    checks: list[tuple[str, SourceMap, int, Any]] = []  # routes to check once every receiver is known
    for file, _ in files:
        name = source.label(file)
        text = source.read(file)
        from sfmon.spec.loader import parse_yaml

        team = parse_yaml(name, text)
        tmap = SourceMap(name, text)
        if team is None:
            continue
        if not isinstance(team, dict):
            problems.append(_problem((name, 1, 1), f"a team file is a mapping of {', '.join(SECTIONS)}"))
            continue
        out.files.append(file)
        for k, items in team.items():
            if k not in SECTIONS:
                allowed = list(SECTIONS)
                extra = " (only the root spec sets it)" if k in ("include", "environments", "routing", "project", "version") else ""
                problems.append(_problem((name, *tmap.locate((k,), key=True)), f"unknown key {k!r} in a team file{extra}" + (hint(str(k), allowed) or f"; allowed: {', '.join(allowed)}")))
                continue
            if items is None:
                continue
            if not isinstance(items, list):
                problems.append(_problem((name, *tmap.locate((k,))), f"{k}: expected a list, got {type(items).__name__}"))
                continue
            path, key = SECTIONS[k]
            if k == "routes":
                for j, route in enumerate(items):
                    team_routes.append((route, Origin(name, (k, j), tmap)))
                    checks.append((name, tmap, j, route))
                continue
            into = _get(out.data, path)
            if into is not None and not isinstance(into, list):
                continue  # the root's own value is wrong: the models say so
            into = list(into or [])
            for j, item in enumerate(items):
                if key and isinstance(item, dict) and isinstance(item.get(key), str):
                    here = (name, *tmap.locate((k, j, key)))
                    first = owners.setdefault((k, item[key]), (name, here))
                    if first[1] != here:
                        f, line, col = first[1]
                        problems.append(_problem(here, f"{k}[{j}].{key}: {_WHAT[k]} {item[key]!r} is already defined in {f}:{line}:{col}; a name belongs to one file"))
                        continue
                    if k == "receivers":
                        receivers[item[key]] = (name, item.get("shared") is True)
                out.prov[(*path, len(into))] = Origin(name, (k, j), tmap)
                into.append(item)
            _set(out.data, path, into)
    for name, tmap, j, route in checks:
        notify = route.get("notify") if isinstance(route, dict) else None
        for n, receiver in enumerate(notify if isinstance(notify, list) else []):
            owner = receivers.get(receiver) if isinstance(receiver, str) else None
            if owner is not None and owner[0] != name and not owner[1]:
                problems.append(
                    _problem(
                        (name, *tmap.locate(("routes", j, "notify", n))),
                        f"routes[{j}].notify[{n}]: receiver {receiver!r} belongs to {owner[0]}; a team file's route may notify "
                        "another file's receiver only when it says `shared: true`",
                    )
                )
    if problems:
        raise SpecError(sorted(set(problems)))
    if team_routes:
        routing = out.data.get("routing")
        if isinstance(routing, dict) and isinstance(routing.get("routes", []), list):
            root_routes = routing.get("routes", [])
            routing = dict(routing, routes=[r for r, _ in team_routes] + list(root_routes))
            for k, (_, origin) in enumerate(team_routes):
                out.prov[("routing", "routes", k)] = origin
            for k in range(len(root_routes)):  # shifted down: still placed in the root
                out.prov[("routing", "routes", len(team_routes) + k)] = Origin(root_file, ("routing", "routes", k), smap)
            out.data["routing"] = routing
    return out


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _set(data: dict, path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value

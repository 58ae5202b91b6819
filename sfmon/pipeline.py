"""The stages, joined: load -> parse -> derive -> check -> render. The CLI calls these; they
never print or exit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from sfmon.model import Spec
from sfmon.problems import Problem, SpecError
from sfmon.spec.sourcemap import SourceMap

if TYPE_CHECKING:
    from sfmon.derive import Derived
    from sfmon.spec.includes import Source


@dataclass
class Loaded:
    spec: Spec
    data: Any
    smap: SourceMap

    @cached_property
    def derived(self) -> Derived:
        """Rule tests, route cases and the routing tree: derived once, on first use (the checks),
        then read by render and validate. Commands that need none of it (diff) never pay for it."""
        from sfmon.derive import derive

        return derive(self.spec)

    def checked(self) -> None:
        """The checks have run and no more problems will be placed: drop what only placing
        them reads (the raw data, the source position index), so render does not carry it
        (at 50k alerts ~350 MB). Render reads the models and `derived` only."""
        self.data = None
        self.smap.release()


def load(path: Path, overlays: Sequence[Path] = (), sets: Sequence[str] = ()) -> Loaded:
    """Read, parse and model the spec, with its team files (sfmon/spec/includes.py), then
    overlay files, then --set assignments merged over it (sfmon/spec/overlay.py); raise
    SpecError with placed problems. Environments are not applied: see load_environments."""
    from sfmon.spec.loader import read_text

    return load_text(str(path), read_text(path), overlays, sets)


def load_text(
    file: str, text: str, overlays: Sequence[Path] = (), sets: Sequence[str] = (), source: Source | None = None, base: Path | None = None
) -> Loaded:
    """`load` for spec text already read (e.g. from git); `file` names it in problems."""
    return _layers(file, text, source, base).one(overlays, sets, None)


@dataclass
class Inputs:
    """Every file a load read and every include pattern with what it matched (the --check memo)."""

    files: list[Path]
    patterns: list[tuple[Path, str, list[str]]]


class _Layers:
    """The root spec read, its team files merged in; each environment is one more layer on top."""

    def __init__(self, file: str, text: str, source: Source | None, base: Path | None):
        from sfmon.spec import includes
        from sfmon.spec.loader import parse_yaml

        self.file, self.text = file, text
        self.source = source or includes.file_source()
        self.base = Path(file).parent if base is None else base
        self.smap = SourceMap(file, text)
        self.inc = includes.resolve(file, parse_yaml(file, text), self.smap, self.source, self.base)
        self.read: list[Path] = list(self.inc.files)

    def one(self, overlays: Sequence[Path], sets: Sequence[str], env: str | None) -> Loaded:
        from sfmon.spec.loader import parse_spec, read_text
        from sfmon.spec.overlay import layered

        data, smap = self.inc.data, self.smap
        strict = self._env_files(env) if env is not None else []
        if overlays or sets or strict or self.inc.prov:
            files = [(str(p), read_text(Path(p))) for p in overlays]
            data, smap = layered(data, smap, files, sets, self.inc.prov, strict)
        return Loaded(parse_spec(self.file, self.text, data, smap), data, smap)

    def environments(self) -> list[str] | None:
        """The names the spec's `environments:` declares, or None (none, or malformed: the models report it)."""
        envs = self.inc.data.get("environments") if isinstance(self.inc.data, dict) else None
        from sfmon.model.base import SLUG_RE

        if not isinstance(envs, dict) or not envs or not all(isinstance(k, str) and SLUG_RE.fullmatch(k) for k in envs):
            return None  # a name that is no directory name: the models place it
        return list(envs)

    def _env_files(self, env: str) -> list[tuple[str, str]]:
        from sfmon.problems import Problem, Severity

        decl = self.inc.data["environments"][env]
        given = decl.get("overlays") if isinstance(decl, dict) else None
        names = given if isinstance(given, list) and all(isinstance(n, str) for n in given) else [f"environments/{env}.yaml"]
        out = []
        for i, name in enumerate(names):
            path = self.base / name
            try:
                out.append((self.source.label(path), self.source.read(path)))
            except SpecError as exc:
                loc = ("environments", env, "overlays", i) if given else ("environments", env)
                where = (self.file, *self.smap.locate(loc, key=not given))
                why = "; ".join(p.message for p in exc.problems)
                raise SpecError([Problem(*where, "spec/environment", Severity.ERROR, f"{'.'.join(map(str, loc[:2]))}: {name}: {why}")]) from None
            self.read.append(path)
        return out


def _layers(file: str, text: str, source: Source | None = None, base: Path | None = None) -> _Layers:
    return _Layers(file, text, source, base)


def load_environments(
    file: str, text: str, overlays: Sequence[Path] = (), sets: Sequence[str] = (), source: Source | None = None, base: Path | None = None
) -> tuple[dict[str | None, Loaded] | None, list[Problem], Inputs]:
    """Every environment the spec declares, each loaded and checked, keyed by name; a spec
    that declares none is one environment keyed None (rendered into OUT/ itself). Problems
    of all environments together, each once; the dict is None when any could not load."""
    try:
        layers = _layers(file, text, source, base)
    except SpecError as exc:
        return None, exc.problems, Inputs([], [])
    out: dict[str | None, Loaded] = {}
    problems: list[Problem] = []
    failed = False
    for env in layers.environments() or [None]:
        try:
            loaded = layers.one(overlays, sets, env)
        except SpecError as exc:
            problems += exc.problems
            failed = True
            continue
        problems += check(loaded)
        out[env] = loaded
    unique = list(dict.fromkeys(problems))
    return (None if failed else out), unique, Inputs([*layers.read, *overlays], layers.inc.patterns)


def load_environments_file(path: Path, overlays: Sequence[Path] = (), sets: Sequence[str] = ()):
    from sfmon.spec.loader import read_text

    try:
        text = read_text(path)
    except SpecError as exc:
        return None, exc.problems, Inputs([], [])
    return load_environments(str(path), text, overlays, sets)


def check(loaded: Loaded) -> list[Problem]:
    from sfmon.checks import Context, run_checks

    return run_checks(Context(loaded.spec, loaded.data, loaded.smap, loaded.derived))


def load_and_check(path: Path, overlays: Sequence[Path] = (), sets: Sequence[str] = ()) -> tuple[Loaded | None, list[Problem]]:
    try:
        loaded = load(path, overlays, sets)
    except SpecError as exc:
        return None, exc.problems
    return loaded, check(loaded)


def load_and_check_text(
    file: str, text: str, overlays: Sequence[Path] = (), sets: Sequence[str] = ()
) -> tuple[Loaded | None, list[Problem]]:
    """`load_and_check` for a spec that is not a file of its own (one read from git)."""
    try:
        loaded = load_text(file, text, overlays, sets)
    except SpecError as exc:
        return None, exc.problems
    return loaded, check(loaded)


def render(loaded: Loaded, templates: Path | None = None) -> dict[str, str]:
    from sfmon.render.files import render as render_files

    return render_files(loaded.spec, loaded.derived, templates)


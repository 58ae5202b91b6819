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


def load(path: Path, overlays: Sequence[Path] = (), sets: Sequence[str] = ()) -> Loaded:
    """Read, parse and model the spec, with overlay files then --set assignments merged over
    it (sfmon/spec/overlay.py); raise SpecError with placed problems."""
    from sfmon.spec.loader import read_text

    return load_text(str(path), read_text(path), overlays, sets)


def load_text(file: str, text: str, overlays: Sequence[Path] = (), sets: Sequence[str] = ()) -> Loaded:
    """`load` for spec text already read (e.g. from git); `file` names it in problems."""
    from sfmon.spec.loader import parse_spec, parse_yaml, read_text

    data = parse_yaml(file, text)
    smap = SourceMap(file, text)
    if overlays or sets:
        from sfmon.spec.overlay import layered

        data, smap = layered(data, smap, [(str(p), read_text(Path(p))) for p in overlays], sets)
    return Loaded(parse_spec(file, text, data, smap), data, smap)


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


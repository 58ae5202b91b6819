"""The stages, joined: load -> parse -> check -> render. The CLI calls these; they never print or exit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfmon.model import Spec
from sfmon.problems import Problem, SpecError
from sfmon.sourcemap import SourceMap


@dataclass
class Loaded:
    spec: Spec
    data: Any
    smap: SourceMap


def load(path: Path) -> Loaded:
    """Read, parse and model the spec; raise SpecError with placed problems."""
    from sfmon.loader import parse_spec, parse_yaml, read_text

    file = str(path)
    text = read_text(path)
    data = parse_yaml(file, text)
    spec = parse_spec(file, text, data)
    return Loaded(spec, data, SourceMap(file, text))


def check(loaded: Loaded) -> list[Problem]:
    from sfmon.checks import Context, run_checks

    return run_checks(Context(loaded.spec, loaded.data, loaded.smap))


def load_and_check(path: Path) -> tuple[Loaded | None, list[Problem]]:
    try:
        loaded = load(path)
    except SpecError as exc:
        return None, exc.problems
    return loaded, check(loaded)


def render(loaded: Loaded, templates: Path | None = None) -> dict[str, str]:
    from sfmon.render import render as render_files

    return render_files(loaded.spec, templates)

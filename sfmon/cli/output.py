"""How commands talk: problems through the chosen reporter, summaries as info lines, and the
pipeline stages that end the command with exit 1 when they find errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Sequence

import typer

from sfmon.cli.options import EXIT_PROBLEMS, TEXT


def report(problems: list, fmt=TEXT, err: bool = False) -> None:
    if not problems:
        return
    from sfmon import reporters

    stream = sys.stderr if err else sys.stdout
    colour = fmt is TEXT and reporters.use_colour(stream.isatty(), os.environ)
    text = reporters.render(problems, fmt.value, colour)
    if text:  # empty when every problem is an acknowledged one the format leaves out
        typer.echo(text, err=err)


def info(message: str, fmt=TEXT) -> None:
    # Human summaries go to stderr in machine formats, so stdout stays parseable.
    typer.echo(message, err=fmt is not TEXT)


def error(message: str, code: int) -> typer.Exit:
    """A one-line failure that is not a problem in the spec (a missing tool, say)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def load(spec: Path, fmt=TEXT, overlays: Optional[Sequence[Path]] = None, sets: Optional[Sequence[str]] = None, seen: Optional[list] = None):
    """Load and check the spec, report its problems (also into `seen`), exit 1 on errors."""
    from sfmon.pipeline import load_and_check
    from sfmon.problems import has_errors

    loaded, problems = load_and_check(spec, overlays or (), sets or ())
    report(problems, fmt)
    if seen is not None:
        seen.extend(problems)
    if loaded is None or has_errors(problems):
        raise typer.Exit(EXIT_PROBLEMS)
    return loaded


def load_environments(spec: Path, fmt=TEXT, overlays: Optional[Sequence[Path]] = None, sets: Optional[Sequence[str]] = None, seen: Optional[list] = None):
    """Every environment of the spec (sfmon/pipeline.py: {None: loaded} when it declares none),
    and the inputs read; problems reported as `load` does."""
    from sfmon.pipeline import load_environments_file
    from sfmon.problems import has_errors

    envs, problems, inputs = load_environments_file(spec, overlays or (), sets or ())
    report(problems, fmt)
    if seen is not None:
        seen.extend(problems)
    if envs is None or has_errors(problems):
        raise typer.Exit(EXIT_PROBLEMS)
    return envs, inputs


def render_environments(envs: dict, templates: Optional[Path], fmt=TEXT) -> dict[str, str]:
    """Every environment's files, under `<env>/` (as they are), or as they are for a spec without environments."""
    out: dict[str, str] = {}
    for env, loaded in envs.items():
        files = render(loaded, templates, fmt)
        out.update(files if env is None else {f"{env}/{rel}": text for rel, text in files.items()})
    return out


def render(loaded, templates: Optional[Path], fmt=TEXT) -> dict[str, str]:
    from sfmon.pipeline import render as render_files
    from sfmon.problems import RenderError

    try:
        return render_files(loaded, templates)
    except RenderError as exc:  # a broken override template is the user's input too
        report(exc.problems, fmt)
        raise typer.Exit(EXIT_PROBLEMS)


def alert_places(loaded) -> dict:
    """Alert name -> a problem placed at that alert's name in the spec: where validate
    reports a tool's refusal of the alert's rule, besides the rendered file."""
    from sfmon.problems import Problem, Severity

    out = {}
    for i, alert in enumerate(loaded.spec.alerts):
        file, line, col = loaded.smap.where(("alerts", i, "name"))
        out.setdefault(alert.name, Problem(file, line, col, "", Severity.ERROR, f"alerts[{i}]"))
    return out

"""`sfmon diff`: what a spec change means, as Markdown for a pull-request comment (or JSON)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.cli import EPILOG, EXIT_PROBLEMS, EXIT_TOOL_MISSING, app


class DiffFormat(str, Enum):
    markdown = "markdown"
    json = "json"


@app.command(
    epilog="Examples:\n\n  sfmon diff old.yaml specs/specs.yaml\n\n"
    "  sfmon diff --base origin/main   # spec at origin/main -> working tree\n\n"
    "  sfmon diff --base HEAD~1 --format json\n\n"
    "Exit 0 whatever changed; 1 when a spec cannot be read or is invalid.\n\n" + EPILOG,
)
def diff(
    old: Annotated[Optional[Path], typer.Argument(metavar="OLD_SPEC", help="The spec before the change.", dir_okay=False, show_default=False)] = None,
    new: Annotated[Optional[Path], typer.Argument(metavar="NEW_SPEC", help="The spec after the change.", dir_okay=False, show_default=False)] = None,
    base: Annotated[
        Optional[str], typer.Option("--base", help="Git ref: compare the spec at this ref with the working tree's.")
    ] = None,
    spec: Annotated[Path, typer.Option("--spec", "-s", help="Spec file (with --base).", dir_okay=False)] = Path(
        "specs/specs.yaml"
    ),
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.markdown,
) -> None:
    """Summarise the meaning of a spec change: thresholds, receivers, routes, panels added, removed, changed."""
    from sfmon.spec import diff as spec_diff

    if base is not None and (old or new):
        raise typer.BadParameter("give either OLD_SPEC NEW_SPEC or --base GIT_REF, not both")
    if base is None and (old is None or new is None):
        raise typer.BadParameter("give OLD_SPEC and NEW_SPEC, or --base GIT_REF")
    if base is not None and (not base or base.startswith("-")):
        raise typer.BadParameter(f"{base!r} is not a git ref", param_hint="--base")
    if base is not None:
        old_label, old_spec = f"{base}:{spec.as_posix()}", _at_ref(base, spec)
        new_label, new_spec = spec.as_posix(), _from_file(spec)
    else:
        assert old is not None and new is not None
        old_label, old_spec = old.as_posix(), _from_file(old)
        new_label, new_spec = new.as_posix(), _from_file(new)
    changes = spec_diff.diff_specs(old_spec, new_spec)
    render = spec_diff.to_json if fmt is DiffFormat.json else spec_diff.to_markdown
    typer.echo(render(changes, old_label, new_label), nl=False)


def _fail(problems: list) -> None:
    from sfmon import reporters

    typer.echo(reporters.text(problems), err=True)
    raise typer.Exit(EXIT_PROBLEMS)


def _from_file(path: Path):  # -> Spec
    from sfmon.spec.loader import load_spec
    from sfmon.problems import SpecError

    try:
        return load_spec(path)
    except SpecError as exc:
        _fail(exc.problems)


def _at_ref(ref: str, path: Path):  # -> Spec
    from sfmon.spec import gitref
    from sfmon.spec.loader import decode, parse_spec
    from sfmon.problems import Problem, Severity, SpecError

    label = f"{ref}:{path.as_posix()}"
    try:
        raw = gitref.show(ref, path)
    except gitref.GitMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_TOOL_MISSING)
    except gitref.GitError as exc:
        _fail([Problem(label, 0, 0, "diff", Severity.ERROR, str(exc))])
    try:
        return parse_spec(label, decode(label, raw))
    except SpecError as exc:
        _fail(exc.problems)

"""`sfmon diff`: what a spec change means, as Markdown for a pull-request comment (or JSON).

Both sides go through the pipeline like any other command's spec: overlays and --set
values apply to both, and a side the checks find invalid is reported instead of diffed."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.cli import output
from sfmon.cli.options import EXIT_PROBLEMS, EXIT_TOOL_MISSING, OverlayOpt, SetOpt, examples

EPILOG = examples(
    "sfmon diff old.yaml specs/specs.yaml",
    "sfmon diff --base origin/main   # spec at origin/main -> working tree",
    "sfmon diff --base HEAD~1 --format json",
    note="Exit 0 whatever changed; 1 when a spec cannot be read or is invalid.",
)


class DiffFormat(str, Enum):
    markdown = "markdown"
    json = "json"


def command(
    old: Annotated[Optional[Path], typer.Argument(metavar="OLD_SPEC", help="The spec before the change.", dir_okay=False, show_default=False)] = None,
    new: Annotated[Optional[Path], typer.Argument(metavar="NEW_SPEC", help="The spec after the change.", dir_okay=False, show_default=False)] = None,
    base: Annotated[
        Optional[str], typer.Option("--base", help="Git ref: compare the spec at this ref with the working tree's.")
    ] = None,
    spec: Annotated[Path, typer.Option("--spec", "-s", help="Spec file (with --base).", dir_okay=False)] = Path(
        "specs/specs.yaml"
    ),
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.markdown,
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
) -> None:
    """Summarise the meaning of a spec change: thresholds, receivers, routes, panels added, removed, changed."""
    from sfmon.spec import diff as spec_diff

    if base is not None and (old or new):
        raise typer.BadParameter("give either OLD_SPEC NEW_SPEC or --base GIT_REF, not both")
    if base is None and (old is None or new is None):
        raise typer.BadParameter("give OLD_SPEC and NEW_SPEC, or --base GIT_REF")
    if base is not None and (not base or base.startswith("-")):
        raise typer.BadParameter(f"{base!r} is not a git ref", param_hint="--base")
    layers = (overlay or (), set_ or ())
    if base is not None:
        old_label, old_spec = f"{base}:{spec.as_posix()}", _at_ref(base, spec, *layers)
        new_label, new_spec = spec.as_posix(), _from_file(spec, *layers)
    else:
        assert old is not None and new is not None
        old_label, old_spec = old.as_posix(), _from_file(old, *layers)
        new_label, new_spec = new.as_posix(), _from_file(new, *layers)
    changes = spec_diff.diff_specs(old_spec, new_spec)
    render = spec_diff.to_json if fmt is DiffFormat.json else spec_diff.to_markdown
    typer.echo(render(changes, old_label, new_label), nl=False)


def _checked(loaded, problems: list):  # -> Spec
    """The spec, or exit 1 with its problems on stderr (stdout is the diff). Warnings alone
    are not shown: they say nothing about the change."""
    from sfmon.problems import has_errors

    if loaded is None or has_errors(problems):
        output.report(problems, err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    return loaded.spec


def _from_file(path: Path, overlays, sets):  # -> Spec
    from sfmon.pipeline import load_and_check

    return _checked(*load_and_check(path, overlays, sets))


def _at_ref(ref: str, path: Path, overlays, sets):  # -> Spec
    from sfmon.pipeline import load_and_check_text
    from sfmon.problems import Problem, Severity, SpecError
    from sfmon.spec import gitref
    from sfmon.spec.loader import decode

    label = f"{ref}:{path.as_posix()}"
    try:
        raw = gitref.show(ref, path)
    except gitref.GitMissing as exc:
        raise output.error(str(exc), EXIT_TOOL_MISSING)
    except gitref.GitError as exc:
        _checked(None, [Problem(label, 0, 0, gitref.CHECK, Severity.ERROR, str(exc))])
    try:
        text = decode(label, raw)
    except SpecError as exc:
        _checked(None, exc.problems)
    return _checked(*load_and_check_text(label, text, overlays, sets))

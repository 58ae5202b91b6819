"""`sfmon diff`: what a spec change means, as Markdown for a pull-request comment (or JSON).

Both sides go through the pipeline like any other command's spec: overlays and --set
values apply to both, and a side the checks find invalid is reported instead of diffed.
A spec with environments is diffed per environment (team files and environment overlays
read at the same ref as the spec)."""

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
    "sfmon diff --base origin/main --spec examples/teams/specs.yaml   # team files and environments at the ref too",
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
    if list(old_spec) == [None] and list(new_spec) == [None]:  # no environments: one spec each side
        changes = spec_diff.diff_specs(old_spec[None], new_spec[None])
        render = spec_diff.to_json if fmt is DiffFormat.json else spec_diff.to_markdown
        typer.echo(render(changes, old_label, new_label), nl=False)
        return
    per_env = spec_diff.diff_environments(old_spec, new_spec)
    render_envs = spec_diff.to_json_environments if fmt is DiffFormat.json else spec_diff.to_markdown_environments
    typer.echo(render_envs(per_env, old_label, new_label), nl=False)


def _checked(envs, problems: list):  # -> {environment or None: Spec}
    """Each environment's spec, or exit 1 with the problems on stderr (stdout is the diff).
    Warnings alone are not shown: they say nothing about the change."""
    from sfmon.problems import has_errors

    if envs is None or has_errors(problems):
        output.report(problems, err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    return {env: loaded.spec for env, loaded in envs.items()}


def _from_file(path: Path, overlays, sets):
    from sfmon.pipeline import load_environments_file

    envs, problems, _ = load_environments_file(path, overlays, sets)
    return _checked(envs, problems)


def _at_ref(ref: str, path: Path, overlays, sets):
    """The spec at `ref`, its team files and environment overlays read at `ref` too."""
    from sfmon.pipeline import load_environments
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
    envs, problems, _ = load_environments(label, text, overlays, sets, source=gitref.source(ref), base=path.parent)
    return _checked(envs, problems)

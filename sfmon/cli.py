"""The command line: parse options, call the pipeline, print, choose the exit code.

Exit codes: 0 clean; 1 problems (invalid spec, failed validation, drift); 2 usage error;
3 a required tool (promtool, amtool) is missing.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_TOOL_MISSING = 0, 1, 2, 3

EPILOG = (
    "Exit codes: 0 clean, 1 problems found (invalid spec, failed validation, drift), "
    "2 usage error, 3 promtool/amtool missing."
)

app = typer.Typer(
    help="Generate a Prometheus / Alertmanager / Grafana stack from one spec, and prove it correct.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


SpecOpt = Annotated[Path, typer.Option("--spec", "-s", help="Spec file.", dir_okay=False)]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory.", file_okay=False)]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Problem report format.")]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override one spec value (YAML), after any --overlay; repeatable. "
        "E.g. prometheus.scrape_interval=5s, targets[api].addresses='[\"127.0.0.1:8000\"]'.",
    ),
]
OverlayOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--overlay", metavar="<file>", help="YAML file deep-merged over the spec (named list items merge by name); repeatable.", dir_okay=False),
]
TemplatesOpt = Annotated[
    Optional[Path], typer.Option("--templates", help="Directory of templates overriding the built-in ones.", file_okay=False)
]


def _version(value: bool) -> None:
    if value:
        from sfmon import __version__

        typer.echo(f"sfmon {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    pass


def _report(problems: list, fmt: Format) -> None:
    if not problems:
        return
    import os

    from sfmon import reporters

    colour = fmt is Format.text and reporters.use_colour(sys.stdout.isatty(), os.environ)
    typer.echo(reporters.render(problems, fmt.value, colour))


def _info(message: str, fmt: Format) -> None:
    # Human summaries go to stderr in machine formats, so stdout stays parseable.
    typer.echo(message, err=fmt is not Format.text)


def _load(
    spec: Path, fmt: Format, overlays: Optional[list[Path]] = None, sets: Optional[list[str]] = None, seen: Optional[list] = None
):
    """Load and check the spec, report its problems (also into `seen`), exit 1 on errors."""
    from sfmon.pipeline import load_and_check
    from sfmon.problems import has_errors

    loaded, problems = load_and_check(spec, overlays or (), sets or ())
    _report(problems, fmt)
    if seen is not None:
        seen.extend(problems)
    if loaded is None or has_errors(problems):
        raise typer.Exit(EXIT_PROBLEMS)
    return loaded


def _render(loaded, templates: Optional[Path], fmt: Format) -> dict[str, str]:
    from sfmon.pipeline import render
    from sfmon.problems import RenderError

    try:
        return render(loaded, templates)
    except RenderError as exc:  # a broken override template is the user's input too
        _report(exc.problems, fmt)
        raise typer.Exit(EXIT_PROBLEMS)


@app.command(
    epilog="Examples:\n\n  sfmon generate\n\n  sfmon generate --spec specs/specs.yaml --out generated\n\n"
    "  sfmon generate --check    # exit 1 and print a diff if generated/ is stale\n\n" + EPILOG,
)
def generate(
    spec: SpecOpt = Path("specs/specs.yaml"),
    out: OutOpt = Path("generated"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; print a diff and exit 1 if OUT is stale.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; with --check, exit 1 at the first stale file, without a diff.")
    ] = False,
    fmt: FormatOpt = Format.text,
    templates: TemplatesOpt = None,
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
) -> None:
    """Render the spec into OUT (atomically; stale files sfmon wrote are removed)."""
    from sfmon.write import checkcache
    from sfmon.paths import default_templates

    # Unchanged inputs and outputs since the last run: answer without loading anything heavy.
    memo = checkcache.key(spec, overlay or (), set_ or (), templates or default_templates(), out)
    if check and (recorded := checkcache.lookup(memo, out)) is not None:
        if not quiet:
            from sfmon.problems import Problem, Severity

            _report([Problem(**{**p, "severity": Severity(p["severity"])}) for p in recorded], fmt)
            _info(f"{out}/ is up to date with {spec}", fmt)
        return

    from sfmon.write import writer

    seen: list = []
    loaded = _load(spec, fmt, overlay, set_, seen)
    files = _render(loaded, templates, fmt)
    if check:
        full = writer.with_manifest(files)
        changes = writer.compare(out, full, stop_at_first=quiet)
        if not changes:
            checkcache.store(memo, full, seen)
        if quiet:
            if changes:
                raise typer.Exit(EXIT_PROBLEMS)
            return
        if not changes:
            _info(f"{out}/ is up to date with {spec}", fmt)
            return
        if fmt is Format.text:
            typer.echo(writer.unified_diff(out, full, changes), nl=False)
        else:
            from sfmon.problems import Problem, Severity

            drift = [
                Problem(f"{out}/{rel}", 0, 0, "drift", Severity.ERROR, f"{what}: run `sfmon generate` and commit the result")
                for what, rels in (("missing", changes.added), ("stale", changes.changed), ("no longer generated", changes.removed))
                for rel in rels
            ]
            _report(drift, fmt)
        _info(
            f"{out}/ is stale: {len(changes.added)} missing, {len(changes.changed)} changed, "
            f"{len(changes.removed)} to remove; run `sfmon generate`",
            fmt,
        )
        raise typer.Exit(EXIT_PROBLEMS)
    try:
        changes = writer.write(out, files)
    except (writer.NotOwned, OSError) as exc:  # nothing was swapped in: OUT is as it was
        from sfmon.problems import Problem, Severity

        why = str(exc) if isinstance(exc, writer.NotOwned) else f"cannot write: {exc.strerror or exc}"
        _report([Problem(str(out), 0, 0, "write", Severity.ERROR, f"{why}; {out}/ is unchanged")], fmt)
        raise typer.Exit(EXIT_PROBLEMS)
    checkcache.store(memo, writer.with_manifest(files), seen)
    if quiet:
        return
    if changes:
        _info(
            f"wrote {out}/: {len(changes.added)} added, {len(changes.changed)} changed, {len(changes.removed)} removed",
            fmt,
        )
    else:
        _info(f"{out}/ already up to date ({len(files)} files)", fmt)


@app.command(
    epilog="Examples:\n\n  sfmon validate\n\n  sfmon validate --format github   # annotations on a pull request\n\n" + EPILOG,
)
def validate(
    spec: SpecOpt = Path("specs/specs.yaml"),
    out: OutOpt = Path("generated"),
    fmt: FormatOpt = Format.text,
    templates: TemplatesOpt = None,
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
) -> None:
    """Check the spec, then the rendered files with promtool and amtool (rule and route tests too)."""
    from sfmon.problems import has_errors
    from sfmon.tools.runner import ToolMissing
    from sfmon.tools.validate import validate_files

    loaded = _load(spec, fmt, overlay, set_)
    files = _render(loaded, templates, fmt)
    try:
        problems = validate_files(files, str(out))
    except ToolMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_TOOL_MISSING)
    _report(problems, fmt)
    if has_errors(problems):
        raise typer.Exit(EXIT_PROBLEMS)
    from sfmon.tools.proofs import proof_summary

    _info(f"ok: {spec} is valid; promtool and amtool accept every rendered file; passed {proof_summary(loaded.derived)}", fmt)


# Commands that live in their own modules (sfmon/cmd_*.py) register themselves on `app`
# when imported here; keep their heavy imports inside the command functions.
from sfmon import cmd_diff  # noqa: E402,F401  sfmon diff
from sfmon import cmd_schema  # noqa: E402,F401  sfmon schema
from sfmon import cmd_health  # noqa: E402,F401  sfmon health

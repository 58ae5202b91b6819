"""`sfmon generate`: render the spec into the output directory, or with --check say whether it is stale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sfmon.cli import output
from sfmon.cli.options import (
    EXIT_PROBLEMS,
    TEXT,
    FormatOpt,
    OutOpt,
    OverlayOpt,
    SetOpt,
    SpecOpt,
    TemplatesOpt,
    examples,
)

EPILOG = examples(
    "sfmon generate",
    "sfmon generate --spec specs/specs.yaml --out generated",
    "sfmon generate --check    # exit 1 and print a diff if generated/ is stale",
    "sfmon generate --spec examples/teams/specs.yaml --out examples/teams/generated   # one directory per environment",
    note="A spec with `environments:` renders each into OUT/<name>/ in one run; --check covers them all.",
)


def command(
    spec: SpecOpt = Path("specs/specs.yaml"),
    out: OutOpt = Path("generated"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; print a diff and exit 1 if OUT is stale.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; with --check, exit 1 at the first stale file, without a diff.")
    ] = False,
    fmt: FormatOpt = TEXT,
    templates: TemplatesOpt = None,
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
) -> None:
    """Render the spec into OUT (atomically; stale files sfmon wrote are removed); each environment into OUT/<name>/."""
    from sfmon.paths import default_templates
    from sfmon.write import checkcache

    # Unchanged inputs and outputs since the last run: answer without loading anything heavy.
    memo = checkcache.key(spec, overlay or (), set_ or (), templates or default_templates(), out)
    if check and (recorded := checkcache.lookup(memo, out)) is not None:
        if not quiet:
            from sfmon.problems import Problem, Severity

            output.report([Problem(**{**p, "severity": Severity(p["severity"])}) for p in recorded], fmt)
            output.info(f"{out}/ is up to date with {spec}", fmt)
        return

    from sfmon.write import writer

    seen: list = []
    envs, inputs = output.load_environments(spec, fmt, overlay, set_, seen)
    for loaded in envs.values():
        loaded.checked()
    files = output.render_environments(envs, templates, fmt)
    full = writer.with_manifest(files)
    if check:
        changes = writer.compare(out, full, stop_at_first=quiet)
        if not changes:
            checkcache.store(memo, full, seen, inputs)
        if quiet:
            if changes:
                raise typer.Exit(EXIT_PROBLEMS)
            return
        if not changes:
            output.info(f"{out}/ is up to date with {spec}", fmt)
            return
        if fmt is TEXT:
            typer.echo(writer.unified_diff(out, full, changes), nl=False)
        else:
            output.report(writer.drift_problems(out, changes), fmt)
        output.info(
            f"{out}/ is stale: {len(changes.added)} missing, {len(changes.changed)} changed, "
            f"{len(changes.removed)} to remove; run `sfmon generate`",
            fmt,
        )
        raise typer.Exit(EXIT_PROBLEMS)
    try:
        changes = writer.write(out, files)
    except (writer.NotOwned, OSError) as exc:  # nothing was swapped in: OUT is as it was
        output.report(writer.failure_problems(out, exc), fmt)
        raise typer.Exit(EXIT_PROBLEMS)
    checkcache.store(memo, full, seen, inputs)
    if quiet:
        return
    if changes:
        output.info(
            f"wrote {out}/: {len(changes.added)} added, {len(changes.changed)} changed, {len(changes.removed)} removed",
            fmt,
        )
    else:
        output.info(f"{out}/ already up to date ({len(files)} files)", fmt)

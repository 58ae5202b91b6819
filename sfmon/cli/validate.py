"""`sfmon validate`: the spec's checks, then the rendered files with promtool and amtool."""

from __future__ import annotations

from pathlib import Path

import typer

from sfmon.cli import output
from sfmon.cli.options import EXIT_PROBLEMS, EXIT_TOOL_MISSING, TEXT, FormatOpt, OutOpt, OverlayOpt, SetOpt, SpecOpt, TemplatesOpt, examples

EPILOG = examples(
    "sfmon validate",
    "sfmon validate --format github   # annotations on a pull request",
    note="A spec with `environments:` is validated in every environment.",
)


def command(
    spec: SpecOpt = Path("specs/specs.yaml"),
    out: OutOpt = Path("generated"),
    fmt: FormatOpt = TEXT,
    templates: TemplatesOpt = None,
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
) -> None:
    """Check the spec, then the rendered files with promtool, amtool (rule and route tests too) and Grafana's dashboard schema."""
    from sfmon.problems import has_errors
    from sfmon.tools.runner import ToolMissing
    from sfmon.tools.validate import validate_files
    from sfmon.tools.versions import installed, target_problems

    envs, _ = output.load_environments(spec, fmt, overlay, set_)
    problems: list = []
    try:
        for env, loaded in envs.items():  # each environment's files, as OUT/<env>/ holds them
            files = output.render(loaded, templates, fmt)
            where = str(out) if env is None else f"{out}/{env}"
            problems += validate_files(files, where, output.alert_places(loaded)) + target_problems(loaded.spec, loaded.smap.where)
    except ToolMissing as exc:
        raise output.error(str(exc), EXIT_TOOL_MISSING)
    problems = list(dict.fromkeys(problems))
    output.report(problems, fmt)
    if has_errors(problems):
        raise typer.Exit(EXIT_PROBLEMS)
    from sfmon.tools.proofs import proof_summary

    versions = ", ".join(f"{tool} {found or '(version unknown)'}" for tool, found in installed().items())

    loaded = next(iter(envs.values()))
    named = [e for e in envs if e is not None]
    scope = f" in {len(named)} environments ({', '.join(named)})" if named else ""
    output.info(
        f"ok: {spec} is valid{scope}; promtool, amtool and Grafana's dashboard schema accept every rendered file; "
        f"passed {proof_summary(loaded.derived)}; with {versions}",
        fmt,
    )

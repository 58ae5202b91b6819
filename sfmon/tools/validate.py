"""`sfmon validate`: spec checks, then the real tools on a fresh render, run concurrently."""

from __future__ import annotations

import json
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Callable, Mapping

from sfmon.problems import Problem
from sfmon.render import outputs
from sfmon.tools.dashboards import check_dashboards
from sfmon.tools.operator import check_manifests
from sfmon.tools.runner import Run, ToolMissing, file_runs, find, parse_web_config, run

Builder = Callable[[outputs.Output, Path, str], list[Run]]


def _builders() -> dict[str, Builder]:
    """How the runs of a check id are built when they are not the entry's argv once per
    file: the proofs read the rendered tests; web-config failures need their own parsing."""
    from sfmon.tools import messages, proofs

    return {
        "amtool/templates": messages.message_runs,
        "promtool/test": proofs.rule_test_runs,
        "amtool/routes": proofs.route_runs,
        "promtool/web-config": partial(file_runs, parse=parse_web_config),
        "blackbox/config": _if_installed,
    }


def _if_installed(output: outputs.Output, workdir: Path, label: str) -> list[Run]:
    """The blackbox exporter is optional on a machine that validates: no run without it."""
    try:
        find(output.tool.args()[0] if output.tool else "")
    except ToolMissing:
        return []
    return file_runs(output, workdir, label)


def tool_runs(workdir: Path, label: str) -> list[Run]:
    """The tool of every output entry that declares one, on the files rendered into `workdir`."""
    from sfmon.tools.standins import prepare

    prepare(workdir)  # certificates and credential files that are not on this machine
    builders = _builders()
    runs: list[Run] = []
    for output in outputs.OUTPUTS:
        if output.tool is not None:
            runs += builders.get(output.tool.check, file_runs)(output, workdir, label)
    return runs


_RULE = re.compile(r'group "(?:[^"\\]|\\.)*", rule \d+, "((?:[^"\\]|\\.)*)"')


def placed(problems: list[Problem], files: dict[str, str], spec_places: Mapping[str, Problem] | None = None) -> list[Problem]:
    """Tool problems that name an alert rule (`group "g", rule 3, "HighErrorRate": ...`)
    without a line get the line of that rule in the rendered rule file; with `spec_places`
    (alert name -> a problem placed at the alert in the spec), the spec's place as well."""
    lines: dict[str, int] = {}
    for n, line in enumerate(files.get(outputs.ALERTS.path, "").splitlines(), 1):
        m = re.match(r'^\s*- alert: (".*")\s*$', line)
        if m:
            try:
                lines.setdefault(json.loads(m.group(1)), n)
            except ValueError:
                continue
    out: list[Problem] = []
    for p in problems:
        m = _RULE.search(p.message)
        name = json.loads(f'"{m.group(1)}"') if m else None
        if name is None:
            out.append(p)
            continue
        if not p.line and name in lines:
            p = replace(p, line=lines[name], column=1)
        out.append(p)
        here = (spec_places or {}).get(name)
        if here is not None:
            out.append(replace(here, check=p.check, severity=p.severity, message=f"{here.message}: {p.check.split('/')[0]} refuses its rule: {p.message}"))
    return out


def validate_files(files: dict[str, str], label: str, spec_places: Mapping[str, Problem] | None = None) -> list[Problem]:
    """Write `files` to a temporary directory and check them there with promtool/amtool;
    dashboards against Grafana's schema and Operator manifests against their CRD schemas, in
    process. `spec_places`: see placed()."""
    with tempfile.TemporaryDirectory(prefix="sfmon-validate-") as tmp:
        work = Path(tmp)
        for rel, text in files.items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        runs = tool_runs(work, label)
        for tool in sorted({r.args[0] for r in runs}):
            find(tool)  # fail fast (exit 3) before starting anything
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(run, runs))
    return placed([p for batch in results for p in batch], files, spec_places) + check_dashboards(files, label) + check_manifests(files, label)

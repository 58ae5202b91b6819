"""`sfmon validate`: spec checks, then the real tools on a fresh render, run concurrently."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable

from sfmon.problems import Problem
from sfmon.render import outputs
from sfmon.tools.dashboards import check_dashboards
from sfmon.tools.runner import Run, file_runs, find, parse_web_config, run

Builder = Callable[[outputs.Output, Path, str], list[Run]]


def _builders() -> dict[str, Builder]:
    """How the runs of a check id are built when they are not the entry's argv once per
    file: the proofs read the rendered tests; web-config failures need their own parsing."""
    from sfmon.tools import proofs

    return {
        "promtool/test": proofs.rule_test_runs,
        "amtool/routes": proofs.route_runs,
        "promtool/web-config": partial(file_runs, parse=parse_web_config),
    }


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


def validate_files(files: dict[str, str], label: str) -> list[Problem]:
    """Write `files` to a temporary directory and check them there with promtool/amtool;
    dashboards against Grafana's schema, in process."""
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
    return [p for batch in results for p in batch] + check_dashboards(files, label)

"""`sfmon validate`: spec checks, then the real tools on a fresh render, run concurrently."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sfmon.problems import Problem
from sfmon.tools.dashboards import check_dashboards
from sfmon.tools.runner import Run, find, run, standard_runs


def tool_runs(workdir: Path, label: str) -> list[Run]:
    from sfmon.tools.proofs import proof_runs
    from sfmon.tools.standins import prepare, web_config_runs

    prepare(workdir)  # certificates and credential files that are not on this machine
    return standard_runs(workdir, label) + web_config_runs(workdir, label) + proof_runs(workdir, label)


def validate_files(files: dict[str, str], label: str) -> list[Problem]:
    """Write `files` to a temporary directory and check them there with promtool/amtool."""
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

"""The `le`/`quantile` values a scrape stores (sfmon.semantics.exposition) against upstream's
parser tests, and against each toolset's promtool ingesting the same exposition."""

from __future__ import annotations

import re
import subprocess

import pytest
from cases import cited, load

from sfmon.semantics.exposition import NORMALISED, never_scraped, scraped

CASES = list(cited(load("exposition.yaml")))
_SUFFIX = {"histogram": "_bucket", "gaugehistogram": "_bucket", "counter": "_total"}


@pytest.mark.parametrize("case", [c for _, _, c in CASES], ids=[i for i, _, _ in CASES])
def test_sfmon_stores_what_the_data_says(case):
    assert scraped(case["type"], case["label"], case["exposed"], prometheus3=True) == case["stored"]
    assert scraped(case["type"], case["label"], case["exposed"], prometheus3=False) == case["exposed"]


NORMALISED_CASES = [(i, c) for i, _, c in CASES if NORMALISED.get(c["label"]) == c["type"]]


@pytest.mark.parametrize("case", [c for _, c in NORMALISED_CASES], ids=[i for i, _ in NORMALISED_CASES])
def test_never_scraped_names_the_stored_form(case):
    """A matcher on `exposed` selects nothing a 3.x scrape stores exactly when normalising changes it."""
    assert never_scraped(case["label"], case["exposed"]) == (case["stored"] if case["stored"] != case["exposed"] else None)


def _exposition() -> str:
    lines = []
    for i, (_, _, case) in enumerate(CASES):
        family = f"c{i}"
        lines.append(f"# TYPE {family} {case['type']}")
        lines.append(f'{family}{_SUFFIX.get(case["type"], "")}{{{case["label"]}="{case["exposed"]}"}} 1 1700000000')
    return "\n".join(lines) + "\n# EOF\n"


_SERIES = re.compile(r'^\{__name__="c(\d+)[a-z_]*", (\w+)="((?:[^"\\]|\\.)*)"\} ', re.M)


@pytest.mark.matrix  # 2.42 stores the text as exposed, 3.x normalises
def test_promtool_ingests_each_case_as_the_data_says(promtool, tmp_path):
    from sfmon.tools.versions import detect

    version = detect(promtool)
    assert version is not None
    (tmp_path / "in.om").write_text(_exposition(), encoding="utf-8")
    (tmp_path / "data" / "wal").mkdir(parents=True)  # `tsdb dump` reads the WAL too
    made = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "in.om", "data"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    dump = subprocess.run([promtool, "tsdb", "dump", "--min-time=0", "data"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    stored = {int(m[1]): (m[2], m[3]) for m in _SERIES.finditer(dump.stdout)}
    assert len(stored) == len(CASES), dump.stdout
    for i, (cid, _, case) in enumerate(CASES):
        want = case["stored"] if version.major >= 3 else case["exposed"]
        assert stored[i] == (case["label"], want), (cid, case)

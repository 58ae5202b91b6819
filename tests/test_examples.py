"""The public example (examples/public-exporters): public rule sets rewritten into one spec,
generated and validated with the real promtool and amtool; its README's counts are what
`validate` prints."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, run_sfmon
from sfmon.spec.loader import load_spec

EXAMPLE = ROOT / "examples" / "public-exporters"
SPEC = EXAMPLE / "spec.yaml"


def _readme_count(label: str) -> int:
    """The bold number in the README's count table on the row starting with `label`."""
    text = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| {label} |")]
    return int(re.search(r"\*\*(\d+)\*\*", row).group(1))  # type: ignore[union-attr]


def _readme_unproven() -> set[str]:
    """The alert names in the README's "Raw `expr`, unproven" table."""
    text = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    section = text.split("### Raw `expr`, unproven", 1)[1].split("\n### ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith(("| alerts", "|---")):
            names |= {n.strip() for n in line.split("|")[1].split(",")}
    return names


def test_the_readme_counts_every_source_rule_once():
    spec = load_spec(SPEC)
    typed = [a for a in spec.alerts if a.kind != "expr"]
    raw = [a for a in spec.alerts if a.kind == "expr"]
    assert len(typed) == _readme_count("typed kinds")
    assert len(raw) == _readme_count("raw `expr`, proven by sfmon") + _readme_count("raw `expr`, unproven")
    assert _readme_count("not expressible") == 0
    assert len(spec.alerts) == 50 and len(spec.recording_rules) == 3  # the sources' 50 alerts and 3 recording rules
    assert _readme_unproven() <= {a.name for a in raw}


def test_the_example_generates_and_validates_with_the_real_tools(tmp_path: Path, promtool, amtool):
    out = tmp_path / "gen"
    done = run_sfmon("generate", "--spec", str(SPEC), "--out", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_sfmon("validate", "--spec", str(SPEC), "--out", str(out), timeout=600)
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    spec = load_spec(SPEC)
    proven = _readme_count("typed kinds") + _readme_count("raw `expr`, proven by sfmon")
    records = len(spec.recording_rules)
    # every recording rule proven by promtool, and the alerts as the README counts them
    assert f"; {proven} of {len(spec.alerts)} alerts proven, {records} of {records} recording rules proven;" in text
    assert "is unproven" not in text  # no recording rule warning
    unproven = set(re.findall(r"warning: alerts\[\d+\]: (\S+): not proven:", text))
    assert unproven == _readme_unproven()
    assert re.search(r"passed \d+ rule test cases \(promtool\), 7 route tests \(amtool\)", text)

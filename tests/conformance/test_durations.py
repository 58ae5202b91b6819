"""sfmon's durations against prometheus/common's own test cases, and against promtool 2.42."""

from __future__ import annotations

import subprocess

import pytest
from cases import load

from sfmon.semantics.units import Duration, format_duration_ms

DURATIONS = load("durations.yaml")
VALID = [c for g in DURATIONS["groups"] for c in g.get("valid", [])]
INVALID = [c for g in DURATIONS["groups"] for c in g.get("invalid", [])]


@pytest.mark.parametrize("case", VALID, ids=lambda c: c["input"])
def test_parse_and_print(case):
    d = Duration(case["input"])
    assert d.ms == case["ms"]
    assert format_duration_ms(d.ms) == case["prints"]


@pytest.mark.parametrize("text", INVALID)
def test_refused(text):
    with pytest.raises(ValueError):
        Duration(text)


def test_promtool_reads_them_alike(promtool, tmp_path):
    """promtool 2.42 accepts every valid case as a rule's `for:` and refuses every invalid one."""
    for i, text in enumerate([c["input"] for c in VALID] + INVALID):
        path = tmp_path / f"r{i}.yml"
        path.write_text(f'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    for: "{text}"\n', encoding="utf-8")
        out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=30)
        assert (out.returncode == 0) is (i < len(VALID)), (text, out.stdout, out.stderr)

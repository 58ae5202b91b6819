"""Prometheus' alert-template functions, from tests/conformance/templates.yaml: each upstream
case (template/template_test.go, v2.42) against sfmon.semantics.gotemplate, and each alert
case against sfmon and the real promtool."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from ruamel.yaml import YAML

from sfmon.semantics.gotemplate import ExecError, TemplateError, Unsupported, execute, expand

DATA = YAML(typ="safe").load((Path(__file__).parent / "conformance" / "templates.yaml").read_text(encoding="utf-8"))
CASES = DATA["cases"]
ALERTS = DATA["alerts"]


def _input(case: dict):
    """The case's dot: a Go slice of `type` (ints stay ints, floats floats, strings strings)."""
    kind = case.get("type")
    convert = {"float64": float, "string": str}.get(kind, int) if kind else None
    if "input" in case:
        return [convert(v) for v in case["input"]]
    if "scalar" in case:
        return convert(case["scalar"])
    return None


@pytest.mark.parametrize("case", [c for c in CASES if c.get("scope") != "out"], ids=lambda c: c["name"])
def test_upstream_template_case(case):
    text = case["text"]
    if "output" in case:
        assert execute(text, _input(case)) == case["output"]
    elif case.get("fails") == "parse":
        with pytest.raises(TemplateError):
            execute(text, _input(case))
    elif case.get("fails") == "run":
        with pytest.raises(ExecError):
            execute(text, _input(case))
    else:
        assert case.get("unpredictable"), case
        with pytest.raises(Unsupported):  # left out, never guessed
            execute(text, _input(case))


def test_every_upstream_case_is_claimed_or_out_of_scope_with_a_reason():
    for case in CASES:
        assert case["test"] in ("TestTemplateExpansion", "Test_floatToTime")
        if case.get("scope") == "out":
            assert case.get("why"), case["name"]
        else:
            assert sum(k in case for k in ("output", "fails", "unpredictable")) == 1, case["name"]
    claimed = [c for c in CASES if c.get("scope") != "out"]
    assert len(claimed) == 75 and len(CASES) == 79  # the counts docs/proofs.md states


def _alert_value(case: dict) -> float:
    return float(case["value"])


def _lines(case: dict) -> list[str]:
    """The Prometheus lines a case holds for (`prometheus: ["2.42"]` or `["3"]`; unset: both)."""
    return case.get("prometheus", ["2.42", "3"])


@pytest.mark.parametrize(
    "case,line", [(c, line) for c in ALERTS for line in _lines(c)], ids=lambda v: v["name"] if isinstance(v, dict) else v
)
def test_sfmon_predicts_the_alert_annotation(case, line):
    labels = case.get("labels", {})
    got = expand(case["template"], labels, _alert_value(case), case.get("external_labels"), prometheus3=line == "3")
    assert got == case["output"]


def _promql_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


@pytest.mark.matrix  # Prometheus 3 changed `title`
def test_promtool_prints_each_alert_annotation_as_the_data_says(tmp_path, promtool):
    """One alert and one test group per case: promtool must print exactly `output`."""
    from sfmon.tools.versions import detect

    version = detect(promtool)
    line = "3" if version is not None and version.major >= 3 else "2.42"
    rules = {"groups": [{"name": "conformance", "rules": []}]}
    tests: dict = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": []}
    for i, case in enumerate(ALERTS):
        if line not in _lines(case):
            continue
        labels = case.get("labels", {})
        # `* 1` drops __name__, so $labels holds the case's labels only
        rules["groups"][0]["rules"].append({"alert": f"T{i}", "expr": f"v{i} * 1", "annotations": {"t": case["template"]}})
        selector = f"v{i}{{" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items())) + "}"
        group = {
            "interval": "1m",
            "input_series": [{"series": selector, "values": " ".join([_promql_value(_alert_value(case))] * 3)}],
            "alert_rule_test": [
                {"eval_time": "1m", "alertname": f"T{i}", "exp_alerts": [{"exp_labels": labels, "exp_annotations": {"t": case["output"]}}]}
            ],
        }
        if case.get("external_labels"):
            group["external_labels"] = case["external_labels"]
        tests["tests"].append(group)
    # JSON is YAML: no quoting rules of our own between the data and promtool
    (tmp_path / "rules.yml").write_text(json.dumps(rules, ensure_ascii=False))
    (tmp_path / "t.yml").write_text(json.dumps(tests, ensure_ascii=False))
    got = subprocess.run([promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stdout + got.stderr


SYNTAX = DATA["syntax"]


@pytest.mark.parametrize("case", SYNTAX, ids=lambda c: c["template"])
def test_sfmon_refuses_a_template_exactly_where_promtool_does(case, tmp_path, promtool):
    from sfmon.semantics.gotemplate import check

    try:
        check(case["template"])
        refused = False
    except TemplateError:
        refused = True
    assert refused is case["refused"]
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up", "annotations": {"t": case["template"]}}]}]}
    (tmp_path / "r.yml").write_text(json.dumps(rules))
    got = subprocess.run([promtool, "check", "rules", "r.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (got.returncode != 0) is case["refused"], got.stdout + got.stderr


PIECES = [
    "{{", "}}", "{{- ", " -}}", " ", "$value", "$labels", ".Labels", ".job", "$x", ":=", "=", "|", "(", ")", '"a"', '"',
    "`r`", "'c'", "1", "-1", "1.5e3", "0x1F", "if", "else", "end", "range", "with", "define", "template", "break",
    "humanize", "printf", '"%d %s %.2f %q %x %v %5.1e %-3s %+d %"', "title", "reReplaceAll", '"(a"', "match", "eq",
    "lt", "and", "or", "not", "len", "index", "args", "print", "query", "first", "nil", "true", "/*", "*/", "\n",
    "\u00a0", "é", ",", "$", ".", "$labels.x.y", "stripDomain", "humanizeTimestamp", "1e400", "parseDuration", "js",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join), st.sampled_from([1.0, math.inf, -math.inf, math.nan, -0.0, 1e300]))
def test_any_template_text_is_checked_or_predicted_never_crashes(text, value):
    """The promise: a template is refused at load (TemplateError), predicted, or left out
    (Unsupported); never an internal error."""
    from sfmon.semantics.gotemplate import check

    for run in (lambda: check(text), lambda: expand(text, {"job": "a"}, value, {"region": "eu"})):
        try:
            run()
        except (TemplateError, Unsupported):
            pass

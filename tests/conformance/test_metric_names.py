"""sfmon's metric and label names against prometheus/common's own validation cases, and
against every toolset's promtool: what sfmon writes for each name reads back as that name."""

from __future__ import annotations

import json
import subprocess

import promql_parser
import pytest
from cases import cited, load

from sfmon.kinds.testgen import Series
from sfmon.model.base import _metric_name
from sfmon.semantics import names
from sfmon.tools.versions import detect

NAMES = list(cited(load("names.yaml")))
METRICS = [c for _, _, c in NAMES if c["_group"]["kind"] == "metric"]
LABELS = [c for _, _, c in NAMES if c["_group"]["kind"] == "label"]
THREE = {"prometheus": {"version": "3.5"}, "alertmanager": {"version": "0.27"}}


@pytest.mark.parametrize("case", METRICS, ids=lambda c: repr(c["name"]))
def test_metric_names(case):
    assert names.legacy_metric(case["name"]) is case["legacy"]
    with names.targeting(THREE):
        if case["utf8"]:
            _metric_name(case["name"])
            sel = names.selector(case["name"], ['job="x"'])
            assert names.selector_name(promql_parser.parse(sel)) == case["name"]
        else:
            with pytest.raises(ValueError):
                _metric_name(case["name"])
    with names.targeting({}):  # no prometheus.version: 2.42's legacy names only
        if case["legacy"]:
            _metric_name(case["name"])
        else:
            with pytest.raises(ValueError):
                _metric_name(case["name"])


@pytest.mark.parametrize("case", LABELS, ids=lambda c: repr(c["name"]))
def test_label_names(case):
    assert names.legacy_label(case["name"]) is case["legacy"]
    if case["utf8"]:
        expr = "up{" + names.matcher(case["name"], "=", "v") + "}"
        assert names.expr_names(expr)[1] == (() if case["legacy"] else (case["name"],))
        with names.targeting(THREE):
            names.check_expr(expr)
        if not case["legacy"]:
            with names.targeting({"prometheus": {"version": "3.5"}}), pytest.raises(ValueError):
                names.check_expr(expr)  # every alert carries the label to an Alertmanager of 0.25


def _files(tmp_path) -> tuple[str, str]:
    """One alert per UTF-8 metric name, selected as sfmon writes it; one rule test each, its
    series in the quoted notation with a UTF-8 label (sfmon's Series.selector)."""
    metrics = [c["name"] for c in METRICS if c["utf8"]]
    label = next(c["name"] for c in LABELS if c["name"] == "dot.in.name")
    rules = {"groups": [{"name": "names", "rules": [
        {"alert": f"A{i}", "expr": names.selector(m, [names.matcher(label, "=", "v")]) + " > 0"} for i, m in enumerate(metrics)
    ]}]}  # fmt: skip
    tests = {"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": Series(m, ((label, "v"),), ()).selector(), "values": "1 1 1"}],
        "alert_rule_test": [{"eval_time": "1m", "alertname": f"A{i}", "exp_alerts": [{"exp_labels": {label: "v"}}]}],
    } for i, m in enumerate(metrics)]}  # fmt: skip
    (tmp_path / "rules.json").write_text(json.dumps(rules), encoding="utf-8")
    (tmp_path / "tests.json").write_text(json.dumps(tests), encoding="utf-8")
    return str(tmp_path / "rules.json"), str(tmp_path / "tests.json")


@pytest.mark.matrix
def test_each_promtool_reads_the_names_back(promtool, tmp_path):
    """3.x: every quoted name is accepted, and each rule test's series is the one its alert
    selects (so the name and the label read back as written); 2.42 refuses them."""
    rules, tests = _files(tmp_path)
    found = detect(promtool)
    assert found is not None
    checked = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True, timeout=60)
    if found >= (3, 0):
        assert checked.returncode == 0, checked.stdout + checked.stderr
        tested = subprocess.run([promtool, "test", "rules", tests], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert tested.returncode == 0, tested.stdout + tested.stderr
    else:
        assert checked.returncode != 0
        # every rule: each selects the UTF-8 label, so even the legacy metric names fail
        assert (checked.stdout + checked.stderr).count("parse error") == len([c for c in METRICS if c["utf8"]])

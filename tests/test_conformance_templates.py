"""Prometheus' alert-template functions, from tests/conformance/templates.yaml: each upstream
case (template/template_test.go, v2.42, and 3.x's additions from v0.316.0) against
sfmon.semantics.gotemplate, and each alert case against sfmon and the real promtool of each
toolset; a function a release lacks, against that release's promtool and sfmon's spec check."""

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


def _release(text: str | None) -> tuple[int, int] | None:
    return None if text is None else tuple(int(x) for x in text.split("."))  # type: ignore[return-value]


def _before(release: tuple[int, int]) -> tuple[int, int]:
    return (release[0], release[1] - 1) if release[1] else (2, 53)


@pytest.mark.parametrize("case", [c for c in CASES if c.get("scope") != "out"], ids=lambda c: c["name"])
def test_upstream_template_case(case):
    text = case["text"]
    run = lambda: execute(text, _input(case), release=_release(case.get("since")), now=case.get("now"))  # noqa: E731
    if "output" in case:
        assert run() == case["output"]
    elif case.get("fails") == "parse":
        with pytest.raises(TemplateError):
            run()
    elif case.get("fails") == "run":
        with pytest.raises(ExecError):
            run()
    else:
        assert case.get("unpredictable"), case
        with pytest.raises(Unsupported):  # left out, never guessed
            run()


@pytest.mark.parametrize("case", [c for c in CASES if c.get("since") and "output" in c], ids=lambda c: c["name"])
def test_a_release_before_since_does_not_give_the_newer_output(case):
    """Before `since` the function is not defined (sfmon: Unsupported; the spec refuses it at
    load) or behaves as it did (parseDuration refuses a negative, stripDomain splits a zone)."""
    before = _before(_release(case["since"]))  # type: ignore[arg-type]
    try:
        got = execute(case["text"], _input(case), release=before, now=case.get("now"))
    except (Unsupported, ExecError):
        return
    assert got != case["output"]


def test_every_upstream_case_is_claimed_or_out_of_scope_with_a_reason():
    for case in CASES:
        assert case["test"] in ("TestTemplateExpansion", "Test_floatToTime")
        if case.get("scope") == "out":
            assert case.get("why"), case["name"]
        else:
            assert sum(k in case for k in ("output", "fails", "unpredictable")) == 1, case["name"]
    claimed = [c for c in CASES if c.get("scope") != "out"]
    assert len(claimed) == 85 and len(CASES) == 89  # the counts docs/proofs.md states


def _alert_value(case: dict) -> float:
    return float(case["value"])


def holds(case: dict, release: tuple[int, int]) -> bool:
    """Whether a case holds for a release: its lines (`prometheus: ["2.42"]` or `["3"]`;
    unset: both), from `since` and before `until` (MAJOR.MINOR) when it says so."""
    lines = case.get("prometheus", ["2.42", "3"])
    return (
        ("3" if release >= (3, 0) else "2.42") in lines
        and release >= (_release(case.get("since")) or (0, 0))
        and release < (_release(case.get("until")) or (99, 0))
    )


# The releases sfmon predicts each case for: 2.42, and 3.x at each release a case names.
RELEASES = sorted({(2, 42), (3, 5), (3, 16), *(_release(c[k]) for c in ALERTS for k in ("since", "until") if c.get(k))})  # type: ignore[misc]
EVAL_TIME_S = 60.0  # the harness's eval_time, on its 1m grid: what `now` returns


@pytest.mark.parametrize(
    "case,release", [(c, r) for c in ALERTS for r in RELEASES if holds(c, r)], ids=lambda v: v["name"] if isinstance(v, dict) else ".".join(map(str, v))
)
def test_sfmon_predicts_the_alert_annotation(case, release):
    labels = case.get("labels", {})
    target = None if release < (3, 0) else release
    got = expand(case["template"], labels, _alert_value(case), case.get("external_labels"), release=target, now=EVAL_TIME_S)
    assert got == case["output"]


def _promql_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


@pytest.mark.matrix  # Prometheus 3 changed `title` and added functions
def test_promtool_prints_each_alert_annotation_as_the_data_says(tmp_path, promtool):
    """One alert and one test group per case: promtool must print exactly `output`."""
    from sfmon.tools.versions import detect

    version = detect(promtool)
    assert version is not None
    rules = {"groups": [{"name": "conformance", "rules": []}]}
    tests: dict = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": []}
    for i, case in enumerate(ALERTS):
        if not holds(case, (version.major, version.minor)):
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


@pytest.mark.matrix
@pytest.mark.parametrize("name", sorted(__import__("sfmon.semantics.promfuncs", fromlist=["SINCE"]).SINCE))
def test_a_function_is_refused_exactly_before_the_release_that_adds_it(name, tmp_path, promtool):
    """promtool of each toolset defines `name` from its `since` on (its parser refuses an
    unknown function), and a spec targeting that toolset's release is refused at the
    template's field exactly when promtool refuses."""
    from conftest import edited_spec
    from sfmon.pipeline import load_and_check
    from sfmon.semantics.promfuncs import SINCE
    from sfmon.tools.versions import detect

    version = detect(promtool)
    assert version is not None
    template = "{{ %s 1 }}" % name
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up", "annotations": {"t": template}}]}]}
    (tmp_path / "r.yml").write_text(json.dumps(rules))
    got = subprocess.run([promtool, "check", "rules", "r.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    defined = (version.major, version.minor) >= SINCE[name]
    assert (got.returncode == 0) is defined, got.stdout + got.stderr
    if not defined:
        assert f'function "{name}" not defined' in got.stdout + got.stderr
    spec = edited_spec(
        tmp_path,
        ("prometheus:\n", f'prometheus:\n  version: "{version.major}.{version.minor}"\n'),
        ('    summary: "Elasticsearch is down"\n', f'    summary: "Elasticsearch is down {template}"\n'),
    )
    loaded, problems = load_and_check(spec)
    refused = [p for p in problems if p.check == "spec/load"]
    assert (loaded is not None and not refused) is defined, problems
    if not defined:
        [p] = refused
        line = next(i + 1 for i, t in enumerate(spec.read_text().splitlines()) if template in t)
        assert (p.line, p.column) == (line, 14)
        assert p.message == (
            f"alerts[4].summary: the template function {name!r} exists from Prometheus {SINCE[name][0]}.{SINCE[name][1]} on; "
            f"prometheus.version {version.major}.{version.minor} does not define it (its promtool refuses the rule)"
        )

"""Rules as data: what the kinds return is what alerts.yml holds, alerting and recording."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jinja2
import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES, SPEC
from sfmon.derive.rule_groups import rule_groups
from sfmon.kinds import KINDS, ErrorRatio
from sfmon.kinds.rule import Rule, RuleGroup
from sfmon.paths import default_templates
from sfmon.pipeline import load, render
from sfmon.derive import derive
from sfmon.render.files import render as render_files
from sfmon.render.views import rules_view
from sfmon.semantics.quoting import Raw, yaml_scalar
from sfmon.semantics.units import Duration

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

SPECS = [SPEC, FIXTURES / "specs" / "valid" / "full.yaml", FIXTURES / "specs" / "valid" / "minimal.yaml"]
yaml = YAML(typ="safe")


def as_written(rule: Rule) -> dict:
    """A rule as alerts.yml holds it, parsed back."""
    out: dict = {rule.kind: rule.name, "expr": rule.expr}
    if rule.for_ is not None:
        out["for"] = str(rule.for_)
    if rule.keep_firing_for is not None:
        out["keep_firing_for"] = str(rule.keep_firing_for)
    if rule.kind == "alert" or rule.labels:
        out["labels"] = rule.labels
    if rule.kind == "alert":
        out["annotations"] = rule.annotations
    return out


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_kinds_rules_are_what_alerts_yml_holds(path):
    from sfmon.derive.links import linked

    loaded = load(path)
    spec = linked(loaded.spec)  # the alerts with their dashboard links, as alerts.yml holds them
    written = yaml.load(render(loaded)["alerts.yml"])["groups"]
    expected: dict[str, list[dict]] = {}
    for r in spec.recording_rules:  # first in their group, then the enabled alerts' rules
        expected.setdefault(r.group or spec.project, []).append(as_written(r.rule()))
    for _, alert in spec.enabled_alerts():
        for rule in alert.rules():
            expected.setdefault(rule.group or spec.project, []).append(as_written(rule))
    settings = {
        name: {k: v for k, v in (("interval", str(s.interval) if s.interval else None), ("limit", s.limit)) if v is not None}
        for name, s in spec.rule_groups.items()
    }
    assert written == [{"name": name, **settings.get(name, {}), "rules": rules} for name, rules in sorted(expected.items())]


def test_the_specs_cover_every_kind():
    kinds = {type(a) for path in SPECS for a in load(path).spec.alerts}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_rule_groups_place_each_rule_at_its_alert(path):
    spec = load(path).spec
    groups = rule_groups(spec)
    enabled = [i for i, _ in spec.enabled_alerts()]
    used = {spec.alerts[i].group or spec.project for i in enabled} | {r.group or spec.project for r in spec.recording_rules}
    assert [g.name for g in groups] == sorted(used)
    for g in groups:  # recording rules first, then alerts, each in spec order
        locs = [r.loc for r in g.rules]
        records = [loc for loc in locs if loc[0] == "recording_rules"]
        assert locs == records + sorted(loc for loc in locs if loc[0] == "alerts") and records == sorted(records)
    placed = {r.loc: r for g in groups for r in g.rules}
    # one rule per alert, or per tier (all named after the alert), placed at the tier; then
    # the spec's own recording rules
    want = {}
    for i, alert in spec.enabled_alerts():
        tiers = getattr(alert, "tiers", None)
        for k, rule in enumerate(alert.alert_rules()):
            want[("alerts", i) if tiers is None else ("alerts", i, "tiers", k)] = rule.placed(("alerts", i), spec.project)
    for i, rec in enumerate(spec.recording_rules):
        want[("recording_rules", i)] = rec.rule().placed(("recording_rules", i), spec.project)
    assert set(placed) == set(want)
    for loc, rule in placed.items():
        if loc[0] == "recording_rules":
            assert rule == want[loc]
            continue
        alert = spec.alerts[loc[1]]
        assert (rule.kind, rule.name, rule.group) == ("alert", alert.name, alert.group or spec.project)
        assert rule == want[loc]


def test_alerting_rule_holds_the_alerts_own_fields():
    spec = load(SPEC).spec
    alert = next(a for a in spec.alerts if a.name == "HighErrorRate")
    [rule] = alert.rules()
    assert rule == Rule(
        "alert",
        "HighErrorRate",
        'sum without (status) (rate(http_requests_total{job="api",status=~"5.."}[5m])) / '
        'sum without (status) (rate(http_requests_total{job="api"}[5m])) > 0.05',
        Duration("5m"),
        {"severity": "critical"},
        {
            "summary": "More than 5% of API requests fail",
            "description": alert.description,
            "runbook_url": "https://runbooks.softfactory.io/alerts/HighErrorRate",
        },
    )


def test_a_recording_rule_takes_neither_for_nor_annotations():
    with pytest.raises(ValueError, match="neither `for`, `keep_firing_for` nor annotations"):
        Rule("record", "job:x:rate5m", "rate(x[5m])", for_=Duration("5m"))
    with pytest.raises(ValueError, match="neither `for`, `keep_firing_for` nor annotations"):
        Rule("record", "job:x:rate5m", "rate(x[5m])", annotations={"summary": "s"})
    with pytest.raises(ValueError, match="neither `for`, `keep_firing_for` nor annotations"):
        Rule("record", "job:x:rate5m", "rate(x[5m])", keep_firing_for=Duration("5m"))


RECORD = "job:http_errors:ratio_rate5m"


class RecordedErrorRatio(ErrorRatio):
    """Test-only kind: records the error ratio, then alerts on the recorded series."""

    def rules(self) -> list[Rule]:
        ratio = self.expr().rpartition(" > ")[0]
        return [
            Rule("record", RECORD, ratio, labels={"recorded_by": "sfmon"}, group=self.group, loc=("errors",)),
            self.alerting_rule(f"{RECORD} > 0.05"),
        ]


def recorded_spec():
    spec = load(SPEC).spec
    i = next(i for i, a in enumerate(spec.alerts) if a.name == "HighErrorRate")
    alert = RecordedErrorRatio.model_validate(spec.alerts[i].model_dump(by_alias=True))
    alerts = [*spec.alerts[:i], alert, *spec.alerts[i + 1 :]]
    return spec.model_copy(update={"alerts": alerts}), i


def test_recording_and_alerting_rules_of_one_kind_pass_promtool(tmp_path, promtool):
    spec, i = recorded_spec()
    text = render_files(spec, derive(spec))["alerts.yml"]
    (tmp_path / "alerts.yml").write_text(text, encoding="utf-8")
    res = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    n = len(spec.recording_rules)  # the spec's own recording rules come first in the group
    alerting = sum(len(a.alert_rules()) for a in spec.alerts)  # one per tier
    assert f"SUCCESS: {alerting + n + 1} rules found" in res.stdout

    [group] = yaml.load(text)["groups"]
    rules = group["rules"][n:]
    assert rules[i] == {"record": RECORD, "expr": spec.alerts[i].expr().rpartition(" > ")[0], "labels": {"recorded_by": "sfmon"}}
    assert rules[i + 1]["alert"] == "HighErrorRate" and rules[i + 1]["expr"] == f"{RECORD} > 0.05"
    assert "annotations" not in rules[i] and "for" not in rules[i]

    placed = [r for g in rule_groups(spec) for r in g.rules if r.loc[:2] == ("alerts", i)]
    assert [(r.kind, r.loc) for r in placed] == [("record", ("alerts", i, "errors")), ("alert", ("alerts", i))]
    assert spec.alerts[i].alert_rule().expr == f"{RECORD} > 0.05"


def template_env() -> jinja2.Environment:
    """alerts.yml.j2 with sfmon's quoting, so a test can hand rules_view any groups."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(default_templates())),
        undefined=jinja2.StrictUndefined,
        finalize=yaml_scalar,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["key"] = Raw  # the test's keys are plain identifiers
    env.filters["raw"] = Raw
    return env


def write_rules(spec, groups=None) -> str:
    header = f"Generated by sfmon from the {spec.project} spec. Do not edit: change the spec and run `sfmon generate`."
    return template_env().get_template("alerts.yml.j2").render(header=header, spec=spec, **rules_view(tuple(rule_groups(spec) if groups is None else groups)))


def test_test_environment_writes_what_render_writes():
    from sfmon.derive.links import linked

    spec = load(SPEC).spec
    # alerts.yml holds the alerts with their dashboard links (derive.links)
    assert write_rules(linked(spec)) == render_files(spec, derive(spec))["alerts.yml"]
    assert write_rules(spec, rule_groups(linked(spec))) == render_files(spec, derive(spec))["alerts.yml"]


def test_group_interval_and_limit_are_written_when_set(tmp_path, promtool):
    spec = load(SPEC).spec
    rules = (Rule("record", "job:up:sum", "sum by (job) (up)"), Rule("alert", "NoneUp", "job:up:sum == 0", Duration("1m"), {"severity": "info"}, {"summary": "s"}))
    groups = [RuleGroup("fast", rules, interval=Duration("30s"), limit=10), RuleGroup("plain", rules[:1])]
    text = write_rules(spec, groups)
    path: Path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    res = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    fast, plain = yaml.load(text)["groups"]
    assert (fast["interval"], fast["limit"]) == ("30s", 10)
    assert fast["rules"] == [
        {"record": "job:up:sum", "expr": "sum by (job) (up)"},
        {"alert": "NoneUp", "expr": "job:up:sum == 0", "for": "1m", "labels": {"severity": "info"}, "annotations": {"summary": "s"}},
    ]
    assert set(plain) == {"name", "rules"}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_selectors_name_every_metric_the_rules_read(path):
    """So the metrics check can place every unknown name on a field, never on the alert."""
    import promql_parser

    from sfmon.checks.promql_metrics import metric_names

    for alert in load(path).spec.alerts:
        read = {n for r in alert.rules() for n in metric_names(promql_parser.parse(r.expr))}
        named = set()
        for value in alert.selectors().values():
            for text in value if isinstance(value, list) else [value]:
                named.update(metric_names(promql_parser.parse(text)))
        for guard in alert.guards:  # any kind's; the check places them on guards[j].and/unless
            named.update(metric_names(promql_parser.parse(guard.selector)))
        assert read == named, alert.name

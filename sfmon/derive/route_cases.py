"""The routing tests of a spec: label sets and the receivers each must reach; and the
inhibition cases sfmon derives for tiered alerts.

Pure, built once per run into sfmon.derive.Derived. The `routing/tests` check evaluates
them (and the inhibition cases) with sfmon's own route evaluation; the render stage writes
the routing cases to tests/routes.test.yml, from which `sfmon validate` runs amtool once per
case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from sfmon.kinds.base import Level
from sfmon.model import Spec


@dataclass(frozen=True, slots=True)
class RouteCase:
    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]  # as the spec lists them
    loc: tuple[Any, ...]  # where the case is in the spec
    at: datetime | None = None  # when it is notified (the routes' time intervals are judged then)
    muted: tuple[str, ...] = ()  # of `receivers`, those held back at `at`


@dataclass(frozen=True, slots=True)
class InhibitCase:
    """Whether the alert with `firing` labels mutes the one with `muted` labels."""

    name: str
    firing: dict[str, str]
    muted: dict[str, str]
    expect_muted: bool
    loc: tuple[Any, ...]


@dataclass(frozen=True)
class Unpredictable:
    """A route test sfmon cannot write: the alert's labels that routing reads are templates."""

    loc: tuple[Any, ...]
    message: str


@dataclass(frozen=True, slots=True)
class AlertLabels:
    """The labels one level of an alert arrives with at Alertmanager, as far as the spec
    knows them, and the labels whose value is a template (known only when it fires)."""

    level: Level
    labels: dict[str, str]
    templated: tuple[str, ...] = ()


def alert_labels(alert: Any, targets: Mapping[str, Any], external: Mapping[str, str] | None = None) -> list[AlertLabels]:
    """Per level (tier) of the alert: what it keeps of its target's series (job, instance and
    the target's labels, as the kind aggregates), its own labels (severity included) and
    alertname; under them Prometheus' `external` labels, which it adds to every alert it sends
    that lacks them (notifier.go) and which rule tests never see. A label written as a template
    is left out and named in `templated`: its value depends on the series, and the template
    text is not what Alertmanager sees."""
    target = alert.target_name()
    series: dict[str, str] = {}
    if target:
        t = targets.get(target)
        series = {**t.labels, "job": t.name, "instance": t.instances()[0]} if t is not None else {"job": target}
    base = {**(external or {}), **alert.identity(series)}
    out = []
    for level, rule in zip(alert.levels(), alert.alert_rules()):
        labels = dict(base)
        templated = []
        for k, v in rule.labels.items():
            if "{{" in v:
                templated.append(k)
                labels.pop(k, None)
            else:
                labels[k] = v
        labels["alertname"] = alert.name
        out.append(AlertLabels(level, dict(sorted(labels.items())), tuple(templated)))
    return out


def case_name(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _picked(levels: list[AlertLabels], given: Mapping[str, str]) -> list[AlertLabels]:
    """The levels a route test of the alert means: the one whose severity its labels name,
    else every tier (each is one case), else the alert's only level."""
    chosen = [lv for lv in levels if lv.level.severity == given.get("severity")]
    if chosen:
        return chosen
    return levels if "severity" not in given else levels[:1]


def route_cases(spec: Spec, routed: Iterable[str] | None = None) -> tuple[list[RouteCase], list[Unpredictable]]:
    """Every routing test; one naming an unknown alert uses its explicit labels only (the
    unknown-alert error comes from the routing/tests check). A test of a tiered alert that
    names no severity is one case per tier. `routed`: the label names the routing tree's
    matchers read (None: unknown, so any templated label makes a case unpredictable). A test of a
    disabled alert is left out (routing/tests warns): nothing would send that alert."""
    alerts = {a.name: a for a in spec.alerts}
    targets = {t.name: t for t in spec.targets}
    reads = set(routed) if routed is not None else None
    out, unknown = [], []
    for i, t in enumerate(spec.routing.tests):
        loc = ("routing", "tests", i)
        if t.alert not in alerts:
            labels = dict(sorted(t.labels.items()))
            out.append(RouteCase(t.name or t.alert or case_name(labels), labels, tuple(t.receivers), loc, t.at, tuple(t.muted)))
            continue
        if not alerts[t.alert].enabled:
            continue  # nothing would send it (routing/tests warns)
        levels = _picked(alert_labels(alerts[t.alert], targets, spec.prometheus.external_labels), t.labels)
        for lv in levels:
            name = t.name or t.alert
            if len(levels) > 1:
                name = f"{name} ({lv.level.severity})"
            blind = [k for k in lv.templated if k not in t.labels and (reads is None or k in reads)]
            if blind:
                unknown.append(
                    Unpredictable(
                        loc,
                        f'route test "{name}": the alert\'s {", ".join(blind)} label{"s are templates" if len(blind) > 1 else " is a template"} '
                        f"that routing reads: which receivers get it depends on the series; not tested "
                        f"(pin the value{'s' if len(blind) > 1 else ''} under this test's `labels`)",
                    )
                )
                continue
            labels = dict(sorted({**lv.labels, **t.labels}.items()))
            out.append(RouteCase(name, labels, tuple(t.receivers), loc, t.at, tuple(t.muted)))
    return out, unknown


def inhibit_cases(spec: Spec) -> list[InhibitCase]:
    """For each tiered alert and each inhibit rule with `alertname` in `equal` whose source
    side matches a tier and whose target side matches a less severe tier of it: the more
    severe tier mutes the less severe one, and not the other way round."""
    from sfmon.semantics.matchers import Matcher, parse
    from sfmon.semantics.routing import matches_all

    def side(labels: dict[str, str], lines: list[str]) -> tuple[Matcher, ...]:
        return (*(Matcher(k, "=", v) for k, v in labels.items()), *(m for line in lines for m in parse(line, fallback=True)))

    targets = {t.name: t for t in spec.targets}
    out = []
    rules = [
        (r, side(i.source, i.source_matchers), side(i.target, i.target_matchers))
        for r, i in enumerate(spec.routing.inhibit)
        if "alertname" in i.equal
    ]
    if not rules:
        return out
    for _, alert in spec.enabled_alerts():
        levels = alert_labels(alert, targets, spec.prometheus.external_labels)
        if len(levels) < 2:
            continue
        for r, source, target in rules:
            for lo_i, lo in enumerate(levels):
                for hi in levels[lo_i + 1 :]:
                    if lo.templated or hi.templated:
                        continue
                    if not (matches_all(source, hi.labels) and matches_all(target, lo.labels)):
                        continue
                    loc = ("routing", "inhibit", r)
                    a, b = hi.level.severity, lo.level.severity
                    out.append(InhibitCase(f"{alert.name}: the {a} tier mutes the {b} tier", hi.labels, lo.labels, True, loc))
                    out.append(InhibitCase(f"{alert.name}: the {b} tier does not mute the {a} tier", lo.labels, hi.labels, False, loc))
    return out

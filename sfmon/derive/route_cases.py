"""The routing tests of a spec: label sets and the receivers each must reach.

Pure, built once per run into sfmon.derive.Derived. The `routing/tests` check evaluates
them (and the inhibition cases) with sfmon's own route evaluation; the render stage writes
them to tests/routes.test.yml, from which `sfmon validate` runs amtool once per case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfmon.semantics.gotemplate import Unsupported, expand
from sfmon.model import Spec


@dataclass(frozen=True)
class RouteCase:
    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]  # as the spec lists them
    loc: tuple[Any, ...]  # where the case is in the spec


def alert_labels(alert: Any) -> dict[str, str]:
    """The labels an alert arrives with at Alertmanager, as far as the spec knows them:
    the job of its target, its own labels (severity included) and alertname."""
    labels: dict[str, str] = {}
    target = alert.target_name()
    if target:
        labels["job"] = target
    for k, v in alert.alert_rule().labels.items():
        try:
            labels[k] = expand(v, labels, None)
        except Unsupported:
            labels[k] = v
    labels["alertname"] = alert.name
    return dict(sorted(labels.items()))


def case_name(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def route_cases(spec: Spec) -> list[RouteCase]:
    """Every routing test; one naming an unknown alert uses its explicit labels only
    (the unknown-alert error comes from the routing/tests check). A test of a disabled
    alert is left out (routing/tests warns): nothing would send that alert."""
    alerts = {a.name: a for a in spec.alerts}
    out = []
    for i, t in enumerate(spec.routing.tests):
        if t.alert in alerts and not alerts[t.alert].enabled:
            continue
        base = alert_labels(alerts[t.alert]) if t.alert in alerts else {}
        labels = dict(sorted({**base, **t.labels}.items()))
        name = t.name or t.alert or case_name(labels)
        out.append(RouteCase(name, labels, tuple(t.receivers), ("routing", "tests", i)))
    return out


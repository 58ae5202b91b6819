"""The notifications `sfmon validate` renders with amtool: for each enabled alert (each tier),
each receiver it reaches, Alertmanager's template data for a group of just that alert.

The alert's labels and annotations are the ones its generated rule tests predict for its
first firing case, with Prometheus' external labels added (exactly what Prometheus sends); an
alert without one (a raw expression with no firing test) goes with its static labels and its
annotations as written, which still exercises every notification template. Pure, built once
per run into Derived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sfmon.derive.route_cases import alert_labels

# Fixed times: the rendered messages are byte-stable.
STARTS_AT = "2024-01-01T00:00:00Z"
ZERO_TIME = "0001-01-01T00:00:00Z"
EXTERNAL_URL = "http://alertmanager:9093"


@dataclass(frozen=True, slots=True)
class MessageCase:
    receiver: str
    alert: str
    labels: dict[str, str]
    annotations: dict[str, str]
    predicted: bool  # from a generated firing case, not the rule as written
    loc: tuple[Any, ...]

    def data(self, group_by: list[str]) -> dict[str, Any]:
        """Alertmanager's template.Data (JSON, as amtool template render reads it) for a
        firing group of this one alert."""
        grouped = self.labels if "..." in group_by else {k: v for k, v in self.labels.items() if k in group_by}
        return {
            "receiver": self.receiver,
            "status": "firing",
            "alerts": [{
                "status": "firing", "labels": self.labels, "annotations": self.annotations,
                "startsAt": STARTS_AT, "endsAt": ZERO_TIME, "generatorURL": "", "fingerprint": "0000000000000000",
            }],  # fmt: skip
            "groupLabels": grouped,
            "commonLabels": self.labels,
            "commonAnnotations": self.annotations,
            "externalURL": EXTERNAL_URL,
        }


def message_cases(spec: Any, rule_tests: Any, tree: Any, rules_spec: Any) -> list[MessageCase]:
    """`rules_spec`: the spec whose alerts carry their dashboard links (derive.links); `tree`:
    the evaluable routing tree, or None (then every receiver)."""
    from sfmon.semantics.routing import receivers as route

    fired = _first_firing(rule_tests)
    targets: Mapping[str, Any] = {t.name: t for t in spec.targets}
    from sfmon.model.receivers import INTEGRATIONS

    every = [r.name for r in spec.receivers]
    external = dict(spec.prometheus.external_labels)
    # Only receivers with a templated field have a message to render (a webhook has none).
    templated = {r.name for r in spec.receivers if any(INTEGRATIONS[k].messages for k in r.integrations())}
    out: list[MessageCase] = []
    for i, alert in rules_spec.enabled_alerts():
        for level, rule in zip(alert_labels(alert, targets, external), alert.alert_rules()):
            predicted = fired.get((alert.name, level.level.severity))
            if predicted is not None:
                # Rule tests never see the external labels Prometheus adds when it sends.
                labels, annotations = {**external, **predicted.labels, "alertname": alert.name}, dict(predicted.annotations)
            else:
                labels, annotations = dict(level.labels), dict(rule.annotations)
            reached = route(tree, labels) if tree is not None else every
            for receiver in (r for r in dict.fromkeys(reached) if r in templated):
                out.append(MessageCase(receiver, alert.name, dict(sorted(labels.items())), dict(sorted(annotations.items())),
                                       predicted is not None, ("alerts", i)))  # fmt: skip
    return out


def _first_firing(rule_tests: Any) -> dict[tuple[str, str], Any]:
    """(alert name, severity) -> the first expected alert of its generated or written tests."""
    out: dict[tuple[str, str], Any] = {}
    for group in (*rule_tests.groups, *rule_tests.long):
        for check in group.checks:
            for expected in check.alerts:
                out.setdefault((group.alertname, expected.labels.get("severity", "")), expected)
    return out

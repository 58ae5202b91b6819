"""The spec: what a project monitors, alerts on, notifies and shows. Pydantic v2, strict, frozen."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sfmon.kinds import Alert
from sfmon.model.alertmanager import AlertmanagerSettings, Receiver, Routing
from sfmon.model.base import NonEmpty, Slug, StrictModel
from sfmon.model.grafana import Dashboard, Grafana
from sfmon.model.outputs import Outputs
from sfmon.model.prometheus import MetricFamily, PrometheusSettings, Target
from sfmon.model.rules import RecordingRule, RuleGroupSettings


class Images(StrictModel):
    prometheus: NonEmpty = "prom/prometheus:v2.42.0"
    alertmanager: NonEmpty = "prom/alertmanager:v0.25.0"
    grafana: NonEmpty = "grafana/grafana:10.4.2"



class Acknowledgement(StrictModel):
    check: NonEmpty = Field(description="the check id whose warning is accepted, e.g. promql/metrics")
    where: NonEmpty | None = Field(
        default=None,
        description="only the warnings at or below this path, e.g. alerts[HighErrorRate] or alerts[3].expr; "
        "omitted: every warning of the check",
    )
    reason: NonEmpty = Field(description="why the warning is accepted, shown wherever it is reported")


class Spec(StrictModel):
    version: Literal[1]
    project: Slug
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    catalogs: dict[Slug, list[MetricFamily]] = Field(default_factory=dict)
    targets: list[Target] = Field(min_length=1)
    alerts: list[Alert] = Field(default_factory=list)
    recording_rules: list[RecordingRule] = Field(
        default_factory=list, description="series Prometheus computes ahead; alerts and panels read them by name"
    )
    rule_groups: dict[NonEmpty, RuleGroupSettings] = Field(
        default_factory=dict, description="rule group name -> its evaluation interval and limit"
    )
    receivers: list[Receiver] = Field(min_length=1)
    routing: Routing
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    dashboards: list[Dashboard] = Field(default_factory=list)
    grafana: Grafana
    images: Images = Field(default_factory=Images)
    outputs: Outputs = Field(default_factory=Outputs, description="outputs beyond the Compose stack, each written when set")
    acknowledge: list[Acknowledgement] = Field(
        default_factory=list, description="warnings reviewed and accepted; an error cannot be acknowledged"
    )

    def enabled_alerts(self) -> list[tuple[int, Any]]:
        """(index, alert) of the alerts that are not `enabled: false`: the ones rendered,
        tested and routed. Indexes are the spec's, so problems stay placed."""
        return [(i, a) for i, a in enumerate(self.alerts) if a.enabled]

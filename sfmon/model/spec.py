"""The spec: what a project monitors, alerts on, notifies and shows. Pydantic v2, strict, frozen."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sfmon.kinds import Alert
from sfmon.model.alertmanager import AlertmanagerSettings, Receiver, Routing
from sfmon.model.base import NonEmpty, Slug, StrictModel
from sfmon.model.grafana import Dashboard, Grafana
from sfmon.model.outputs import Outputs
from sfmon.model.prometheus import MetricFamily, PrometheusSettings, Target
from sfmon.model.probes import Blackbox
from sfmon.model.rules import RecordingRule, RuleGroupSettings
from sfmon.model.time import Maintenance


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


class Environment(StrictModel):
    """One named environment: the spec with its overlay files merged over it, rendered into OUT/<name>/."""

    overlays: list[NonEmpty] | None = Field(
        default=None,
        description="overlay files (relative to the spec's directory) merged over the spec, in order; they change "
        "items the spec defines and may not add any; omitted: environments/<name>.yaml",
    )


class Spec(StrictModel):
    version: Literal[1]
    project: Slug
    include: list[NonEmpty] = Field(
        default_factory=list,
        description="team spec files merged into this one: paths or globs (* ? [...] within one path segment) "
        "relative to this file's directory, e.g. teams/*.yaml; each file owns the targets, alerts, recording rules, "
        "receivers, dashboards and routes it defines (docs/teams.md)",
    )
    environments: dict[Slug, Environment] = Field(
        default_factory=dict,
        description="named environments, each rendered into OUT/<name>/ and validated (docs/environments.md); "
        "none: one render into OUT/",
    )
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    catalogs: dict[Slug, list[MetricFamily]] = Field(default_factory=dict)
    targets: list[Target] = Field(min_length=1)
    blackbox: Blackbox | None = Field(default=None, description="the blackbox exporter and its modules, for targets with `probe`")
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
    maintenance: list[Maintenance] = Field(
        default_factory=list,
        description="maintenance windows: silences.json for `amtool silence import`, and what `sfmon silences apply` keeps in Alertmanager",
    )
    dashboards: list[Dashboard] = Field(default_factory=list)
    grafana: Grafana
    images: Images = Field(default_factory=Images)
    outputs: Outputs = Field(default_factory=Outputs, description="outputs beyond the Compose stack, each written when set")
    acknowledge: list[Acknowledgement] = Field(
        default_factory=list, description="warnings reviewed and accepted; an error cannot be acknowledged"
    )

    @model_validator(mode="after")
    def _receivers_fit(self) -> "Spec":
        from sfmon.model.receiver_rules import check

        check(self.receivers, self.alertmanager)
        return self

    @model_validator(mode="after")
    def _matchers_fit(self) -> "Spec":
        from sfmon.model.matcher_rules import check

        check(self.routing, self.alertmanager, self.maintenance)
        return self

    @model_validator(mode="after")
    def _templates_fit(self) -> "Spec":
        from sfmon.model.template_rules import check

        check(self.alerts, self.prometheus)
        return self

    def enabled_alerts(self) -> list[tuple[int, Any]]:
        """(index, alert) of the alerts that are not `enabled: false`: the ones rendered,
        tested and routed. Indexes are the spec's, so problems stay placed."""
        return [(i, a) for i, a in enumerate(self.alerts) if a.enabled]

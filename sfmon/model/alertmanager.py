"""Alertmanager: routing, inhibition, routing tests, server settings (receivers: sfmon.model.receivers)."""

from __future__ import annotations

from pydantic import Field, model_validator

from sfmon.model.receivers import Receiver  # noqa: F401  (re-exported: receivers live in sfmon.model.receivers)
from sfmon.model.security import WebSecurity
from sfmon.model.base import AlertmanagerRelease, AlertName, GroupLabel, LabelName, Labels, ReceiverName, RegexLabels, StrictModel
from sfmon.semantics.units import DurationStr, PositiveDuration


class Route(StrictModel):
    match: Labels = Field(default_factory=dict, description="label equality matchers; {} matches everything")
    match_re: RegexLabels = Field(default_factory=dict, description="label regex matchers (RE2, anchored as Alertmanager anchors them)")
    notify: list[ReceiverName] = Field(description="receivers that get matching alerts")
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[GroupLabel] | None = None
    group_wait: DurationStr | None = None
    group_interval: PositiveDuration | None = None
    repeat_interval: PositiveDuration | None = None


class Inhibit(StrictModel):
    source: Labels = Field(min_length=1, description="labels of the muting (firing) alert")
    target: Labels = Field(min_length=1, description="labels of the muted alert")
    equal: list[LabelName] = Field(default_factory=list)


class RouteTest(StrictModel):
    """Which receivers an alert with these labels reaches (checked by sfmon and by amtool)."""

    name: str | None = Field(default=None, description="default: the alert name, else the labels")
    alert: AlertName | None = Field(default=None, description="start from this alert's labels: alertname, severity, labels, job")
    labels: Labels = Field(default_factory=dict, description="labels of the alert (added to, or overriding, the alert's)")
    receivers: list[ReceiverName] = Field(min_length=1, description="every receiver that must get it, and no other (order free)")

    @model_validator(mode="after")
    def _some_labels(self) -> "RouteTest":
        if self.alert is None and not self.labels:
            raise ValueError("set 'alert' or 'labels' (or both)")
        return self


class InhibitTest(StrictModel):
    """Whether a firing alert mutes another through the inhibit rules (checked by sfmon)."""

    name: str | None = None
    firing: Labels = Field(min_length=1, description="labels of the alert that is firing")
    muted: Labels = Field(min_length=1, description="labels of the alert that may be muted")
    expect_muted: bool = True


class Routing(StrictModel):
    receiver: ReceiverName = Field(description="fallback receiver for alerts no route matches")
    group_by: list[GroupLabel] = Field(default_factory=lambda: ["alertname", "job"])
    group_wait: DurationStr = Field(default="30s")
    group_interval: PositiveDuration = Field(default="5m")
    repeat_interval: PositiveDuration = Field(default="4h")
    resolve_timeout: PositiveDuration = Field(default="5m")
    routes: list[Route] = Field(default_factory=list)
    inhibit: list[Inhibit] = Field(default_factory=list)
    tests: list[RouteTest] = Field(default_factory=list, description="routing tests, run with amtool by `sfmon validate`")
    inhibit_tests: list[InhibitTest] = Field(default_factory=list)




class AlertmanagerSettings(StrictModel):
    version: AlertmanagerRelease | None = Field(
        default=None,
        description="the Alertmanager release the stack runs, e.g. 0.28; `sfmon validate` warns when its amtool is "
        "of another MAJOR.MINOR; omitted: the installed amtool's",
    )
    web: WebSecurity | None = Field(default=None, description="TLS and basic auth of Alertmanager's web endpoint")
    replicas: int = Field(
        default=1, ge=1, le=9,
        description="Alertmanager peers in one cluster (--cluster.peer): compose services alertmanager-<i>; "
        "Prometheus sends every alert to each peer and the cluster notifies once",
    )  # fmt: skip

    def peer_names(self) -> list[str]:
        """The peers' compose service names when there are several."""
        return [f"alertmanager-{i}" for i in range(self.replicas)] if self.replicas > 1 else []

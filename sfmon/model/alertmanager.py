"""Alertmanager: receivers, routing, inhibition, routing tests, server settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sfmon.model.security import BasicAuth, WebSecurity
from sfmon.model.base import AlertName, LabelName, Labels, NonEmpty, SecretFile, Slug, StrictModel, Url
from sfmon.semantics.units import DurationStr, PositiveDuration


class Email(StrictModel):
    to: list[NonEmpty] = Field(min_length=1, description="recipient group")
    from_: NonEmpty = Field(alias="from")
    smarthost: NonEmpty = Field(description="host:port of the SMTP server")
    auth_username: str | None = None
    auth_password_file: SecretFile | None = None
    require_tls: bool = True
    send_resolved: bool = True


class Slack(StrictModel):
    channel: NonEmpty
    api_url_file: SecretFile = Field(description="file holding the Slack incoming-webhook URL")
    send_resolved: bool = True
    title: str = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.job }})'
    text: str = "{{ range .Alerts }}{{ .Annotations.summary }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}"


class PagerDuty(StrictModel):
    routing_key_file: SecretFile | None = Field(default=None, description="file holding the Events API v2 routing key")
    service_key_file: SecretFile | None = Field(default=None, description="file holding an Events API v1 service key")
    url: Url | None = Field(default=None, description="Events API endpoint; default PagerDuty's")
    send_resolved: bool = True

    @model_validator(mode="after")
    def _one_key(self) -> "PagerDuty":
        if (self.routing_key_file is None) == (self.service_key_file is None):
            raise ValueError("set exactly one of routing_key_file (Events API v2) or service_key_file (v1)")
        return self


class Webhook(StrictModel):
    url: Url
    bearer_token_file: SecretFile | None = None
    basic_auth: BasicAuth | None = None
    max_alerts: int = Field(default=0, ge=0)
    send_resolved: bool = True

    @model_validator(mode="after")
    def _one_auth(self) -> "Webhook":
        if self.bearer_token_file and self.basic_auth:
            raise ValueError("set either bearer_token_file or basic_auth, not both")
        return self


class Receiver(StrictModel):
    name: Slug
    email: Email | None = None
    slack: Slack | None = None
    pagerduty: PagerDuty | None = None
    webhook: Webhook | None = None

    def integrations(self) -> list[str]:
        return [k for k in ("email", "slack", "pagerduty", "webhook") if getattr(self, k) is not None]


class Route(StrictModel):
    match: Labels = Field(default_factory=dict, description="label equality matchers; {} matches everything")
    match_re: Labels = Field(default_factory=dict, description="label regex matchers")
    notify: list[Slug] = Field(description="receivers that get matching alerts")
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[str] | None = None
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
    receivers: list[Slug] = Field(min_length=1, description="every receiver that must get it, and no other (order free)")

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
    receiver: Slug = Field(description="fallback receiver for alerts no route matches")
    group_by: list[str] = Field(default_factory=lambda: ["alertname", "job"])
    group_wait: DurationStr = Field(default="30s")
    group_interval: PositiveDuration = Field(default="5m")
    repeat_interval: PositiveDuration = Field(default="4h")
    resolve_timeout: PositiveDuration = Field(default="5m")
    routes: list[Route] = Field(default_factory=list)
    inhibit: list[Inhibit] = Field(default_factory=list)
    tests: list[RouteTest] = Field(default_factory=list, description="routing tests, run with amtool by `sfmon validate`")
    inhibit_tests: list[InhibitTest] = Field(default_factory=list)




class AlertmanagerSettings(StrictModel):
    web: WebSecurity | None = Field(default=None, description="TLS and basic auth of Alertmanager's web endpoint")

"""The spec: what SoftFactory monitors, alerts on, notifies and shows. Pydantic v2, strict, frozen."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sfmon.kinds import Alert
from sfmon.modelbase import AlertName, Labels, LabelName, MetricName, NonEmpty, Slug, StrictModel
from sfmon.units import DurationStr, Number, PositiveDuration


def _abs_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path to a secret file (e.g. /run/secrets/name), got {value!r}")
    return value


def _env_name(value: str) -> str:
    import re

    if not re.match(r"^[A-Z_][A-Z0-9_]*$", value):
        raise ValueError(f"must be an environment variable name like GF_ADMIN_PASSWORD, got {value!r}")
    return value


SecretFile = Annotated[str, AfterValidator(_abs_path)]
EnvName = Annotated[str, AfterValidator(_env_name)]


# --- Prometheus ------------------------------------------------------------------------


class PrometheusSettings(StrictModel):
    scrape_interval: PositiveDuration = Field(default="15s")
    scrape_timeout: PositiveDuration = Field(default="10s")
    evaluation_interval: PositiveDuration = Field(default="15s")
    retention: PositiveDuration = Field(default="15d", description="rendered as --storage.tsdb.retention.time")
    external_labels: Labels = Field(default_factory=dict)
    alertmanagers: list[NonEmpty] = Field(default_factory=lambda: ["alertmanager:9093"], min_length=1)
    listen_address: NonEmpty = "0.0.0.0:9090"

    @model_validator(mode="after")
    def _timeout_fits(self) -> "PrometheusSettings":
        if self.scrape_timeout.ms > self.scrape_interval.ms:
            raise ValueError("scrape_timeout must not be longer than scrape_interval")
        return self


class MetricFamily(StrictModel):
    name: MetricName
    type: Literal["counter", "gauge", "histogram", "summary", "untyped"]
    help: str = ""
    labels: list[LabelName] = Field(default_factory=list)

    total_suffix: bool = Field(
        default=True,
        description="counters only: the client appends _total to samples (Python and OpenMetrics clients do; "
        "many Go exporters expose the family name as is)",
    )

    def series_names(self) -> list[str]:
        """The sample names this family exposes, as PromQL sees them."""
        n = self.name
        if self.type == "counter":
            if not self.total_suffix:
                return [n]
            base = n[:-6] if n.endswith("_total") else n
            return [f"{base}_total", f"{base}_created"]
        if self.type == "histogram":
            return [f"{n}_bucket", f"{n}_sum", f"{n}_count", f"{n}_created"]
        if self.type == "summary":
            return [n, f"{n}_sum", f"{n}_count", f"{n}_created"]
        return [n]


class Target(StrictModel):
    name: Slug = Field(description="also the Prometheus job name")
    addresses: list[NonEmpty] = Field(min_length=1, description="host:port of each instance")
    metrics_path: NonEmpty = "/metrics"
    scheme: Literal["http", "https"] = "http"
    scrape_interval: PositiveDuration | None = None
    scrape_timeout: PositiveDuration | None = None
    labels: Labels = Field(default_factory=dict)
    health_path: str | None = Field(default=None, description="HTTP path that answers 200 when healthy")
    catalog: Slug | None = Field(default=None, description="name of the metric catalog this target exports")
    description: str = ""


# --- Alertmanager ----------------------------------------------------------------------


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
    routing_key_file: SecretFile = Field(description="file holding the Events API v2 routing key")
    url: str | None = Field(default=None, description="Events API endpoint; default PagerDuty's")
    send_resolved: bool = True


class BasicAuth(StrictModel):
    username: NonEmpty
    password_file: SecretFile


class Webhook(StrictModel):
    url: NonEmpty
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


# --- Grafana ---------------------------------------------------------------------------


class ThresholdStep(StrictModel):
    value: Number
    color: NonEmpty


class Query(StrictModel):
    expr: NonEmpty
    legend: str = ""


class Panel(StrictModel):
    title: NonEmpty
    type: Literal["timeseries", "stat", "gauge", "bargauge", "table"] = "timeseries"
    description: str = ""
    expr: str | None = Field(default=None, description="shorthand for one query")
    legend: str = ""
    queries: list[Query] = Field(default_factory=list)
    unit: str = "short"
    decimals: int | None = Field(default=None, ge=0, le=10)
    min: float | None = None
    max: float | None = None
    thresholds: list[ThresholdStep] = Field(default_factory=list)
    show_alert: str | None = Field(default=None, description="alert whose threshold is drawn on this panel")
    width: int = Field(default=12, ge=1, le=24)
    height: int = Field(default=8, ge=1, le=40)

    @model_validator(mode="after")
    def _one_query_form(self) -> "Panel":
        if (self.expr is None) == (not self.queries):
            raise ValueError("set either 'expr' (one query) or 'queries' (a list), not both or neither")
        return self

    def all_queries(self) -> list[Query]:
        return [Query(expr=self.expr, legend=self.legend)] if self.expr is not None else list(self.queries)


class Row(StrictModel):
    title: NonEmpty
    collapsed: bool = False
    panels: list[Panel] = Field(min_length=1)


class Variable(StrictModel):
    name: LabelName
    label: str = ""
    query: NonEmpty = Field(description="e.g. label_values(http_requests_total, endpoint)")
    multi: bool = True
    include_all: bool = True
    sample: str = Field(default=".*", description="value substituted for $name when sfmon checks queries")


class Dashboard(StrictModel):
    uid: Slug
    title: NonEmpty
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    refresh: PositiveDuration = Field(default="30s")
    time_from: PositiveDuration = Field(default="6h", description="default range: now-<time_from> to now")
    variables: list[Variable] = Field(default_factory=list)
    rows: list[Row] = Field(min_length=1)


class Grafana(StrictModel):
    url: NonEmpty = Field(default="http://grafana:3000", description="where sfmon health finds Grafana")
    datasource_uid: Slug = "prometheus"
    datasource_url: NonEmpty = "http://prometheus:9090"
    folder: NonEmpty = "SoftFactory"
    admin_user: NonEmpty = "admin"
    admin_password_file: SecretFile | None = None
    admin_password_env: EnvName | None = None
    anonymous_access: bool = False

    @model_validator(mode="after")
    def _password_ref(self) -> "Grafana":
        if (self.admin_password_file is None) == (self.admin_password_env is None):
            raise ValueError("set exactly one of admin_password_file or admin_password_env (no default password)")
        return self


class Images(StrictModel):
    prometheus: NonEmpty = "prom/prometheus:v2.42.0"
    alertmanager: NonEmpty = "prom/alertmanager:v0.25.0"
    grafana: NonEmpty = "grafana/grafana:10.4.2"


class Spec(StrictModel):
    version: Literal[1]
    project: Slug
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    catalogs: dict[Slug, list[MetricFamily]] = Field(default_factory=dict)
    targets: list[Target] = Field(min_length=1)
    alerts: list[Alert] = Field(default_factory=list)
    receivers: list[Receiver] = Field(min_length=1)
    routing: Routing
    dashboards: list[Dashboard] = Field(default_factory=list)
    grafana: Grafana
    images: Images = Field(default_factory=Images)

"""The spec: what SoftFactory monitors, alerts on, notifies and shows. Pydantic v2, strict, frozen."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sfmon.kinds import Alert
from sfmon.modelbase import AlertName, Labels, LabelName, MetricName, NonEmpty, Slug, StrictModel
from sfmon.units import DurationStr, Number, PositiveDuration


def _abs_path(value: str) -> str:
    # The value is never quoted back: someone may have pasted the secret itself here.
    if not value.startswith("/") or any(ord(c) < 32 for c in value):
        raise ValueError("must be an absolute path to a file holding the secret (e.g. /run/secrets/name); value not shown")
    return value


def _env_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
        raise ValueError("must be an environment variable name like GF_ADMIN_PASSWORD; value not shown")
    return value


def _abs_file(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path as the server sees it (e.g. /run/secrets/ca.crt), got {value!r}")
    return value


def _bcrypt(value: str) -> str:
    import re

    m = re.fullmatch(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}", value)
    if not m:
        raise ValueError(
            "must be a bcrypt hash ($2y$12$...), never a password: "
            "htpasswd -nBC 12 '' | tr -d ':\\n' makes one (docs/hardening.md); value not shown"
        )
    if int(m.group(1)) < 10:
        raise ValueError(f"bcrypt cost {m.group(1)} is too low; use 10 or more")
    return value


def _no_userinfo(value: str) -> str:
    import re

    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@", value):
        raise ValueError("credentials in a URL are not allowed; use basic_auth with a password_file; value not shown")
    return value


def _user_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", value):
        raise ValueError(f"invalid user name {value!r}: use 1-64 letters, digits, '.', '_', '@' and '-' (no ':')")
    return value


SecretFile = Annotated[str, AfterValidator(_abs_path)]
EnvName = Annotated[str, AfterValidator(_env_name)]
AbsFile = Annotated[str, AfterValidator(_abs_file)]
BcryptHash = Annotated[str, AfterValidator(_bcrypt)]
Url = Annotated[NonEmpty, AfterValidator(_no_userinfo)]
UserName = Annotated[str, AfterValidator(_user_name)]


# --- Security: TLS and authentication between the servers (docs/hardening.md) ----------


class BasicAuth(StrictModel):
    username: NonEmpty
    password_file: SecretFile


class ServerTLS(StrictModel):
    """TLS of a Prometheus or Alertmanager web endpoint (tls_server_config)."""

    cert_file: AbsFile
    key_file: SecretFile
    client_ca_file: AbsFile | None = Field(default=None, description="CA that signs client certificates")
    client_auth_type: Literal[
        "NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"
    ] = "NoClientCert"
    min_version: Literal["TLS12", "TLS13"] = "TLS12"

    @model_validator(mode="after")
    def _ca_for_verify(self) -> "ServerTLS":
        if "Verify" in self.client_auth_type and self.client_ca_file is None:
            raise ValueError(f"client_auth_type {self.client_auth_type} needs client_ca_file")
        return self


class WebSecurity(StrictModel):
    """What a web endpoint requires; rendered as the server's --web.config.file."""

    tls: ServerTLS | None = None
    basic_auth_users: dict[UserName, BcryptHash] = Field(
        default_factory=dict, description="user name -> bcrypt hash of the password (the password stays in a file)"
    )

    @model_validator(mode="after")
    def _something(self) -> "WebSecurity":
        if self.tls is None and not self.basic_auth_users:
            raise ValueError("set tls, basic_auth_users or both (or remove 'web' to serve plain HTTP)")
        return self


class ClientTLS(StrictModel):
    """How a client checks the server's certificate and, optionally, shows its own (tls_config)."""

    ca_file: AbsFile | None = None
    cert_file: AbsFile | None = None
    key_file: SecretFile | None = None
    server_name: NonEmpty | None = Field(default=None, description="name the server certificate must carry")
    insecure_skip_verify: bool = False

    @model_validator(mode="after")
    def _pair(self) -> "ClientTLS":
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("set cert_file and key_file together (a client certificate needs its key)")
        return self


class ServerClient(StrictModel):
    """How Prometheus reaches the alertmanagers."""

    scheme: Literal["http", "https"] = "http"
    tls: ClientTLS | None = None
    basic_auth: BasicAuth | None = None

    @model_validator(mode="after")
    def _tls_needs_https(self) -> "ServerClient":
        if self.tls is not None and self.scheme != "https":
            raise ValueError("tls applies to scheme: https only")
        return self


# --- Prometheus ------------------------------------------------------------------------


class PrometheusSettings(StrictModel):
    scrape_interval: PositiveDuration = Field(default="15s")
    scrape_timeout: PositiveDuration = Field(default="10s")
    evaluation_interval: PositiveDuration = Field(default="15s")
    retention: PositiveDuration = Field(default="15d", description="rendered as --storage.tsdb.retention.time")
    external_labels: Labels = Field(default_factory=dict)
    alertmanagers: list[NonEmpty] = Field(default_factory=lambda: ["alertmanager:9093"], min_length=1)
    alerting: ServerClient = Field(default_factory=ServerClient, description="how Prometheus reaches the alertmanagers")
    listen_address: NonEmpty = "0.0.0.0:9090"
    web: WebSecurity | None = Field(default=None, description="TLS and basic auth of Prometheus' web endpoint")

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
    tls: ClientTLS | None = Field(default=None, description="scheme https: how Prometheus checks the target")
    basic_auth: BasicAuth | None = None
    bearer_token_file: SecretFile | None = Field(default=None, description="sent as 'Authorization: Bearer <file content>'")

    @model_validator(mode="after")
    def _client_auth(self) -> "Target":
        if self.tls is not None and self.scheme != "https":
            raise ValueError("tls applies to scheme: https only")
        if self.basic_auth is not None and self.bearer_token_file is not None:
            raise ValueError("set either basic_auth or bearer_token_file, not both")
        return self


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
    url: Url = Field(default="http://grafana:3000", description="where sfmon health finds Grafana")
    datasource_uid: Slug = "prometheus"
    datasource_url: Url = "http://prometheus:9090"
    datasource_tls: ClientTLS | None = Field(default=None, description="how Grafana checks Prometheus' certificate")
    datasource_basic_auth: BasicAuth | None = Field(default=None, description="Grafana's login to Prometheus")
    folder: NonEmpty = "SoftFactory"
    admin_user: NonEmpty = "admin"
    admin_password_file: SecretFile | None = None
    admin_password_env: EnvName | None = None
    anonymous_access: bool = False

    @model_validator(mode="after")
    def _password_ref(self) -> "Grafana":
        if (self.admin_password_file is None) == (self.admin_password_env is None):
            raise ValueError("set exactly one of admin_password_file or admin_password_env (no default password)")
        if self.datasource_tls is not None and not self.datasource_url.startswith("https://"):
            raise ValueError("datasource_tls applies to an https:// datasource_url only")
        return self


class Images(StrictModel):
    prometheus: NonEmpty = "prom/prometheus:v2.42.0"
    alertmanager: NonEmpty = "prom/alertmanager:v0.25.0"
    grafana: NonEmpty = "grafana/grafana:10.4.2"


class AlertmanagerSettings(StrictModel):
    web: WebSecurity | None = Field(default=None, description="TLS and basic auth of Alertmanager's web endpoint")


class Spec(StrictModel):
    version: Literal[1]
    project: Slug
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    catalogs: dict[Slug, list[MetricFamily]] = Field(default_factory=dict)
    targets: list[Target] = Field(min_length=1)
    alerts: list[Alert] = Field(default_factory=list)
    receivers: list[Receiver] = Field(min_length=1)
    routing: Routing
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    dashboards: list[Dashboard] = Field(default_factory=list)
    grafana: Grafana
    images: Images = Field(default_factory=Images)

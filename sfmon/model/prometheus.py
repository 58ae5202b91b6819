"""Prometheus: server settings, metric catalogs, scrape targets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sfmon.model.security import BasicAuth, ClientTLS, ServerClient, WebSecurity
from sfmon.model.base import Address, FieldError, LabelName, Labels, ListenAddress, MetricName, NonEmpty, PrometheusRelease, SecretFile, Slug, StrictModel, Url
from sfmon.model.discovery import Discovery
from sfmon.model.probes import Probe
from sfmon.model.relabel import RelabelConfig
from sfmon.semantics.units import PositiveDuration


GO_INT_MAX = 2**63 - 1


class Queue(StrictModel):
    """remote_write's queue_config: how samples wait and are sent (Prometheus' defaults where unset)."""

    # Go ints (64 bits): Prometheus' YAML parser refuses anything larger.
    capacity: int | None = Field(default=None, gt=0, le=GO_INT_MAX, description="samples buffered per shard before reading the WAL blocks")
    min_shards: int | None = Field(default=None, gt=0, le=GO_INT_MAX)
    max_shards: int | None = Field(default=None, gt=0, le=GO_INT_MAX)
    max_samples_per_send: int | None = Field(default=None, gt=0, le=GO_INT_MAX)
    batch_send_deadline: PositiveDuration | None = Field(default=None, description="longest a sample waits in a shard")
    min_backoff: PositiveDuration | None = None
    max_backoff: PositiveDuration | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "Queue":
        # Prometheus 3.16 refuses either pair out of order, an unset side being its default
        # (min_shards 1, max_shards 50, min_backoff 30ms, max_backoff 5s); 2.42 and 3.5 do not
        # check, but such settings mean nothing a server could follow (tests/test_ha.py).
        lo, hi = self.min_shards or 1, self.max_shards or 50
        if lo > hi:
            raise ValueError(f"min_shards {lo} is above max_shards {hi}" + ("" if self.max_shards else " (Prometheus' default)"))
        lo_ms, hi_ms = (self.min_backoff.ms if self.min_backoff else 30), (self.max_backoff.ms if self.max_backoff else 5000)
        if lo_ms > hi_ms:
            lo_s, hi_s = self.min_backoff or "30ms", self.max_backoff or "5s"
            raise ValueError(f"min_backoff {lo_s} is longer than max_backoff {hi_s}" + ("" if self.max_backoff else " (Prometheus' default)"))
        return self


class RemoteWrite(StrictModel):
    """A remote storage Prometheus ships its samples to. Credentials by file only."""

    url: Url = Field(description="the receiver's push endpoint, e.g. https://mimir.example.com/api/v1/push")
    name: Slug | None = Field(default=None, description="the queue's name in Prometheus' metrics; default: set by Prometheus")
    tls: ClientTLS | None = None
    basic_auth: BasicAuth | None = None
    bearer_token_file: SecretFile | None = Field(default=None, description="sent as 'Authorization: Bearer <file content>'")
    queue: Queue | None = None

    @model_validator(mode="after")
    def _client_auth(self) -> "RemoteWrite":
        if self.basic_auth is not None and self.bearer_token_file is not None:
            raise ValueError("set either basic_auth or bearer_token_file, not both")
        if self.tls is not None and not self.url.startswith("https://"):
            raise ValueError("tls applies to an https:// url only")
        return self

    def queue_options(self) -> list[tuple[str, object]]:
        """The queue_config settings the spec sets, in Prometheus' order (none: no queue_config)."""
        if self.queue is None:
            return []
        return [(k, v) for k, v in ((k, getattr(self.queue, k)) for k in Queue.model_fields) if v is not None]


class PrometheusSettings(StrictModel):
    version: PrometheusRelease | None = Field(
        default=None,
        description="the Prometheus release the stack runs, e.g. 3.5: generated rule tests predict its range windows "
        "(3.x: left-open) where no evaluation avoids a sample on a window's start, and `sfmon validate` warns when "
        "its promtool is of another MAJOR.MINOR; omitted: tests that hold on 2.x and, where the grids allow, 3.x",
    )
    scrape_interval: PositiveDuration = Field(default="15s")
    scrape_timeout: PositiveDuration = Field(default="10s")
    evaluation_interval: PositiveDuration = Field(default="15s")
    retention: PositiveDuration = Field(default="15d", description="rendered as --storage.tsdb.retention.time")
    external_labels: Labels = Field(default_factory=dict)
    alertmanagers: list[Address] = Field(default_factory=lambda: ["alertmanager:9093"], min_length=1)
    alerting: ServerClient = Field(default_factory=ServerClient, description="how Prometheus reaches the alertmanagers")
    listen_address: ListenAddress = "0.0.0.0:9090"
    web: WebSecurity | None = Field(default=None, description="TLS and basic auth of Prometheus' web endpoint")
    replicas: int = Field(
        default=1, ge=1, le=9,
        description="identical Prometheus servers (an HA pair or more): each gets its own prometheus-replica-<i>.yml, "
        "differing only in the external label `replica_label` (value prometheus-<i>), and its own compose service prometheus-<i>",
    )  # fmt: skip
    replica_label: LabelName = Field(
        default="replica",
        description="replicas > 1: the external label that tells the replicas apart (what a deduplicating store drops)",
    )
    remote_write: list[RemoteWrite] = Field(default_factory=list, description="remote storage for the samples")

    @model_validator(mode="after")
    def _timeout_fits(self) -> "PrometheusSettings":
        if self.scrape_timeout.ms > self.scrape_interval.ms:
            raise ValueError("scrape_timeout must not be longer than scrape_interval")
        if self.replicas > 1 and self.replica_label in self.external_labels:
            raise FieldError(("replica_label",), f"{self.replica_label!r} is also in external_labels: the replicas would not differ in it")
        return self

    def replica_names(self) -> list[str]:
        """The replicas' values of `replica_label` (also their compose services): one name
        per replica when there are several."""
        return [f"prometheus-{i}" for i in range(self.replicas)] if self.replicas > 1 else []


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


Limit = Annotated[int, Field(ge=0, le=2**64 - 1)]  # Go's uint


class Target(StrictModel):
    name: Slug = Field(description="also the Prometheus job name")
    addresses: list[Address] = Field(
        default_factory=list, description="host:port of each instance (static); may be empty with `discovery`"
    )
    metrics_path: NonEmpty = Field(default="/metrics", description="a path only: query parameters go in `params`")
    scheme: Literal["http", "https"] = "http"
    params: dict[NonEmpty, list[str]] = Field(
        default_factory=dict, description="URL query parameters of every scrape, e.g. {module: [http_2xx]}"
    )
    scrape_interval: PositiveDuration | None = None
    scrape_timeout: PositiveDuration | None = None
    labels: Labels = Field(default_factory=dict)
    health_path: str | None = Field(default=None, description="HTTP path that answers 200 when healthy")
    catalog: Slug | None = Field(default=None, description="name of the metric catalog this target exports")
    description: str = ""
    tls: ClientTLS | None = Field(default=None, description="scheme https: how Prometheus checks the target")
    basic_auth: BasicAuth | None = None
    bearer_token_file: SecretFile | None = Field(default=None, description="sent as 'Authorization: Bearer <file content>'")
    discovery: Discovery | None = Field(default=None, description="service discovery: file_sd (written by sfmon), dns, http, consul, kubernetes")
    probe: Probe | None = Field(default=None, description="a blackbox probe job: the exporter probes probe.targets with probe.module")
    relabel_configs: list[RelabelConfig] = Field(default_factory=list, description="applied to each target before it is scraped")
    metric_relabel_configs: list[RelabelConfig] = Field(default_factory=list, description="applied to each scraped sample")
    honor_labels: bool | None = Field(default=None, description="keep the scraped series' job/instance labels on a clash")
    honor_timestamps: bool | None = Field(default=None, description="keep the timestamps the target exposes")
    sample_limit: Limit | None = Field(default=None, description="a scrape with more samples (after relabelling) fails; 0: no limit")
    label_limit: Limit | None = Field(default=None, description="most labels per sample; 0: no limit")
    label_name_length_limit: Limit | None = None
    label_value_length_limit: Limit | None = None
    target_limit: Limit | None = Field(default=None, description="most targets after relabelling; 0: no limit")

    @model_validator(mode="after")
    def _client_auth(self) -> "Target":
        if "?" in self.metrics_path:
            from urllib.parse import parse_qs

            path, _, query = self.metrics_path.partition("?")
            found = parse_qs(query, keep_blank_values=True)
            shown = ", ".join(f"{k}: [{', '.join(v)}]" for k, v in found.items()) or "module: [http_2xx]"
            raise FieldError(
                ("metrics_path",),
                f"{self.metrics_path!r} carries a query string, which Prometheus requests as {path}%3F{query}: "
                f"write metrics_path: {path or '/'} and params: {{{shown}}}",
            )
        if self.tls is not None and self.scheme != "https":
            raise ValueError("tls applies to scheme: https only")
        if self.basic_auth is not None and self.bearer_token_file is not None:
            raise ValueError("set either basic_auth or bearer_token_file, not both")
        if self.probe is not None:
            if self.addresses:
                raise FieldError(("addresses",), "a probe lists what it probes in probe.targets; its scrapes go to blackbox.address")
            if self.discovery is not None:
                raise FieldError(("discovery",), "a probe's targets are probe.targets: discovery is for scraped targets")
            if "module" in self.params:
                raise FieldError(("params", "module"), "a probe's module is probe.module")
        elif not self.addresses and (self.discovery is None or self.discovery.empty()):
            raise FieldError(("addresses",), "set addresses, discovery or probe: the target has no instances")
        return self

    def scrape_path(self) -> str:
        return "/probe" if self.probe is not None and "metrics_path" not in self.model_fields_set else self.metrics_path

    def scrape_params(self) -> dict[str, list[str]]:
        return {"module": [self.probe.module], **self.params} if self.probe is not None else dict(self.params)

    def static_targets(self) -> list[str]:
        """What static_configs lists: the addresses, or for a probe what it probes."""
        return list(self.probe.targets) if self.probe is not None else list(self.addresses)

    def relabel_steps(self, blackbox_address: str) -> list[dict[str, Any]]:
        """relabel_configs as rendered. A probe first gets the standard blackbox relabelling
        (each probed target becomes the `target` parameter and the instance label, and the
        address scraped is the exporter's); a target found by DNS, HTTP, Consul or Kubernetes
        gets its labels by relabelling (static_configs labels reach only static targets)."""
        steps = [r.rendered() for r in self.relabel_configs]
        d = self.discovery
        if d is not None and (d.dns or d.http or d.consul or d.kubernetes):
            # `$` in a replacement refers to a group: a literal one is `$$`.
            steps = [{"target_label": k, "replacement": v.replace("$", "$$"), "action": "replace"} for k, v in sorted(self.labels.items())] + steps
        if self.probe is not None:
            steps = [
                {"source_labels": ["__address__"], "target_label": "__param_target", "action": "replace"},
                {"source_labels": ["__param_target"], "target_label": "instance", "action": "replace"},
                {"target_label": "__address__", "replacement": blackbox_address, "action": "replace"},
                *steps,
            ]
        return steps

    def instances(self) -> list[str]:
        """The instance labels its series carry, as far as the spec knows them: the static
        addresses, the probed targets, the file_sd addresses; for a target found only by
        DNS, HTTP, Consul or Kubernetes, one stand-in (`<name>:80`)."""
        if self.probe is not None:
            return list(self.probe.targets)
        found = list(self.addresses)
        if self.discovery is not None and self.discovery.file is not None:
            found += [a for g in self.discovery.file.groups for a in g.targets]
        return found or [f"{self.name}:80"]

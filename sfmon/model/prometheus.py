"""Prometheus: server settings, metric catalogs, scrape targets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sfmon.model.security import BasicAuth, ClientTLS, ServerClient, WebSecurity
from sfmon.model.base import Address, FieldError, LabelName, Labels, ListenAddress, MetricName, NonEmpty, PrometheusRelease, SecretFile, Slug, StrictModel, Url
from sfmon.semantics.units import PositiveDuration


class Queue(StrictModel):
    """remote_write's queue_config: how samples wait and are sent (Prometheus' defaults where unset)."""

    capacity: int | None = Field(default=None, gt=0, description="samples buffered per shard before reading the WAL blocks")
    min_shards: int | None = Field(default=None, gt=0)
    max_shards: int | None = Field(default=None, gt=0)
    max_samples_per_send: int | None = Field(default=None, gt=0)
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


class Target(StrictModel):
    name: Slug = Field(description="also the Prometheus job name")
    addresses: list[Address] = Field(min_length=1, description="host:port of each instance")
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

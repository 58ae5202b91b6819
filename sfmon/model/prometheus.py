"""Prometheus: server settings, metric catalogs, scrape targets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sfmon.model.security import BasicAuth, ClientTLS, ServerClient, WebSecurity
from sfmon.model.base import Address, LabelName, Labels, ListenAddress, MetricName, NonEmpty, PrometheusRelease, SecretFile, Slug, StrictModel
from sfmon.semantics.units import PositiveDuration


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

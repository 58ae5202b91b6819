"""Grafana: dashboards and their panels, the datasource and the server."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sfmon.model.security import BasicAuth, ClientTLS
from sfmon.model.base import EnvName, LegacyLabelName, NonEmpty, SecretFile, Slug, StrictModel, Url
from sfmon.semantics.units import FiniteFloat, Number, PositiveDuration


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
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None
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
    name: LegacyLabelName  # Grafana variable names ($name) are identifiers
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

    def panel_ids(self) -> list[tuple[Panel, int]]:
        """Each panel with the id the dashboard gives it: rows and panels numbered from 1 in
        order, a row before its panels (the ids sfmon.render.views writes)."""
        out, next_id = [], 1
        for row in self.rows:
            next_id += 1
            for panel in row.panels:
                out.append((panel, next_id))
                next_id += 1
        return out


class Grafana(StrictModel):
    url: Url = Field(default="http://grafana:3000", description="where sfmon health finds Grafana")
    external_url: Url | None = Field(
        default=None,
        description="where people open Grafana: the alerts' dashboard_url links start with it; default url",
    )
    datasource_uid: Slug = "prometheus"
    datasource_url: Url = "http://prometheus:9090"
    datasource_tls: ClientTLS | None = Field(default=None, description="how Grafana checks Prometheus' certificate")
    datasource_basic_auth: BasicAuth | None = Field(default=None, description="Grafana's login to Prometheus")
    folder: NonEmpty = "SoftFactory"
    admin_user: NonEmpty = "admin"
    admin_password_file: SecretFile | None = None
    admin_password_env: EnvName | None = None
    anonymous_access: bool = False

    @field_validator("datasource_tls", "datasource_basic_auth")
    @classmethod
    def _file_refs(cls, value: ClientTLS | BasicAuth | None) -> ClientTLS | BasicAuth | None:
        # Written as $__file{path}: Grafana ends the path at the first '}' and expands '$'
        # before it reads the file, with no escape inside the braces.
        for name in ("ca_file", "cert_file", "key_file", "password_file"):
            path = getattr(value, name, None)
            if path and any(c in path for c in "${}"):
                raise ValueError(f"{name}: Grafana reads this path as $__file{{...}}, which cannot hold '$', '{{' or '}}'; rename the file")
        return value

    @model_validator(mode="after")
    def _password_ref(self) -> "Grafana":
        if (self.admin_password_file is None) == (self.admin_password_env is None):
            raise ValueError("set exactly one of admin_password_file or admin_password_env (no default password)")
        if self.datasource_tls is not None and not self.datasource_url.startswith("https://"):
            raise ValueError("datasource_tls applies to an https:// datasource_url only")
        return self

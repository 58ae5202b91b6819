"""Service discovery of a target: the groups sfmon writes as a file_sd file, and the DNS,
HTTP, Consul and Kubernetes discoveries Prometheus runs itself. Fields and refusals as
Prometheus' discovery packages read them (discovery/{file,dns,http,consul,kubernetes});
credentials only as files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sfmon.model.base import Address, FieldError, HostPort, Labels, NonEmpty, SecretFile, StrictModel, Url
from sfmon.model.security import BasicAuth, ClientTLS
from sfmon.semantics.units import PositiveDuration


class TargetGroup(StrictModel):
    """One group of a file_sd file: addresses and the labels they share."""

    targets: list[Address] = Field(min_length=1, description="host:port of each instance")
    labels: Labels = Field(default_factory=dict)


class FileSD(StrictModel):
    """sfmon writes the groups to file_sd/<target>.json next to prometheus.yml; Prometheus
    re-reads the file when it changes (and every refresh_interval)."""

    groups: list[TargetGroup] = Field(min_length=1)
    refresh_interval: PositiveDuration | None = Field(default=None, description="Prometheus' default: 5m")


class DnsSD(StrictModel):
    names: list[NonEmpty] = Field(min_length=1, description="DNS names to look up")
    type: Literal["SRV", "A", "AAAA", "MX"] = "SRV"
    port: int | None = Field(default=None, ge=1, le=65535, description="required for A, AAAA and MX (SRV records carry it)")
    refresh_interval: PositiveDuration | None = None

    @model_validator(mode="after")
    def _port(self) -> "DnsSD":
        if self.type != "SRV" and self.port is None:
            raise FieldError(("port",), f"a port is required in DNS-SD configs for all record types except SRV (type {self.type})")
        return self


class HttpClient(StrictModel):
    """How Prometheus authenticates to a discovery endpoint: secrets only in files."""

    tls: ClientTLS | None = None
    basic_auth: BasicAuth | None = None
    bearer_token_file: SecretFile | None = Field(default=None, description="sent as 'Authorization: Bearer <file content>'")

    @model_validator(mode="after")
    def _one_auth(self) -> "HttpClient":
        if self.basic_auth is not None and self.bearer_token_file is not None:
            raise ValueError("set either basic_auth or bearer_token_file, not both")
        return self


class HttpSD(HttpClient):
    url: Url = Field(description="answers with a JSON list of target groups (Prometheus' http_sd format)")
    refresh_interval: PositiveDuration | None = Field(default=None, description="Prometheus' default: 60s")


class ConsulSD(HttpClient):
    server: HostPort = Field(default="localhost:8500")
    scheme: Literal["http", "https"] = "http"
    datacenter: NonEmpty | None = None
    services: list[NonEmpty] = Field(default_factory=list, description="empty: every service")
    tags: list[NonEmpty] = Field(default_factory=list, description="a service must have every tag")
    node_meta: dict[NonEmpty, str] = Field(default_factory=dict)
    allow_stale: bool | None = None
    refresh_interval: PositiveDuration | None = None

    @model_validator(mode="after")
    def _tls_needs_https(self) -> "ConsulSD":
        if self.tls is not None and self.scheme != "https":
            raise FieldError(("tls",), "tls applies to scheme: https only")
        return self


K8sRole = Literal["pod", "service", "endpoints", "endpointslice", "node", "ingress"]

# discovery/kubernetes: which selector roles each discovery role takes, in the newest release
# (the pod role takes node selectors since prometheus#18006; targets/discovery refuses them
# for a release before the first one sfmon has proven it with, NODE_SELECTOR_ON_POD).
NODE_SELECTOR_ON_POD = (3, 16)
SELECTOR_ROLES: dict[str, tuple[str, ...]] = {
    "pod": ("pod", "node"),
    "service": ("service",),
    "endpoints": ("pod", "service", "endpoints"),
    "endpointslice": ("pod", "service", "endpointslice"),
    "node": ("node",),
    "ingress": ("ingress",),
}


class K8sSelector(StrictModel):
    role: K8sRole
    label: NonEmpty | None = Field(default=None, description="a Kubernetes label selector, e.g. app=web,tier!=cache")
    field: NonEmpty | None = Field(default=None, description="a Kubernetes field selector, e.g. spec.nodeName=n1")


class K8sNamespaces(StrictModel):
    own_namespace: bool = False
    names: list[NonEmpty] = Field(default_factory=list)


class KubernetesSD(HttpClient):
    role: K8sRole
    api_server: Url | None = Field(default=None, description="omitted: in-cluster (the pod's service account)")
    kubeconfig_file: SecretFile | None = None
    namespaces: K8sNamespaces | None = None
    selectors: list[K8sSelector] = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid(self) -> "KubernetesSD":
        if self.api_server is not None and self.kubeconfig_file is not None:
            raise FieldError(("kubeconfig_file",), "cannot use 'kubeconfig_file' and 'api_server' simultaneously")
        custom = self.tls is not None or self.basic_auth is not None or self.bearer_token_file is not None
        if self.api_server is None and custom:
            raise ValueError("to use custom HTTP client configuration please provide the 'api_server' URL explicitly")
        if self.kubeconfig_file is not None and custom:
            raise ValueError("cannot use a custom HTTP client configuration together with 'kubeconfig_file'")
        own = self.namespaces is not None and self.namespaces.own_namespace
        if own and self.api_server is not None:
            raise FieldError(("namespaces", "own_namespace"), "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously")
        if own and self.kubeconfig_file is not None:
            raise FieldError(("namespaces", "own_namespace"), "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously")
        allowed = SELECTOR_ROLES[self.role]
        seen: set[str] = set()
        for i, sel in enumerate(self.selectors):
            if sel.role in seen:
                raise FieldError(("selectors", i, "role"), f"duplicated selector role: {sel.role}")
            seen.add(sel.role)
            if sel.role not in allowed:
                raise FieldError(("selectors", i, "role"), f"{self.role} role supports only {', '.join(allowed)} selectors")
        return self


class Discovery(StrictModel):
    """Where a target's instances come from besides `addresses` (any combination)."""

    file: FileSD | None = None
    dns: list[DnsSD] = Field(default_factory=list)
    http: list[HttpSD] = Field(default_factory=list)
    consul: list[ConsulSD] = Field(default_factory=list)
    kubernetes: list[KubernetesSD] = Field(default_factory=list)

    def empty(self) -> bool:
        return self.file is None and not (self.dns or self.http or self.consul or self.kubernetes)

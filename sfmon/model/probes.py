"""Probes: the blackbox exporter's modules (rendered as blackbox.yml) and what a probe target
asks of them (rendered as a scrape job with the standard blackbox relabelling)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sfmon.model.base import AbsFile, HostPort, NonEmpty, SecretFile, Slug, StrictModel
from sfmon.model.security import BasicAuth
from sfmon.semantics.units import PositiveDuration


class ProbeTLS(StrictModel):
    ca_file: AbsFile | None = None
    server_name: NonEmpty | None = None
    insecure_skip_verify: bool = False


class HttpProbe(StrictModel):
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"] = "GET"
    valid_status_codes: list[int] = Field(default_factory=list, description="empty: any 2xx")
    preferred_ip_protocol: Literal["ip4", "ip6"] | None = Field(default=None, description="blackbox' default: ip6")
    fail_if_ssl: bool = False
    fail_if_not_ssl: bool = False
    no_follow_redirects: bool = False
    headers: dict[NonEmpty, str] = Field(default_factory=dict)
    tls: ProbeTLS | None = None
    basic_auth: BasicAuth | None = None
    bearer_token_file: SecretFile | None = None

    @model_validator(mode="after")
    def _valid(self) -> "HttpProbe":
        if any(not 100 <= c <= 599 for c in self.valid_status_codes):
            raise ValueError("valid_status_codes must be HTTP status codes (100-599)")
        if self.fail_if_ssl and self.fail_if_not_ssl:
            raise ValueError("fail_if_ssl and fail_if_not_ssl together fail every probe")
        if self.basic_auth is not None and self.bearer_token_file is not None:
            raise ValueError("set either basic_auth or bearer_token_file, not both")
        return self


class TcpProbe(StrictModel):
    tls: bool = Field(default=False, description="start TLS on connect (and report the certificate's expiry)")
    preferred_ip_protocol: Literal["ip4", "ip6"] | None = None


class IcmpProbe(StrictModel):
    preferred_ip_protocol: Literal["ip4", "ip6"] | None = None


class DnsProbe(StrictModel):
    query_name: NonEmpty
    query_type: Literal["A", "AAAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT", "PTR"] = "A"
    transport_protocol: Literal["udp", "tcp"] = "udp"
    preferred_ip_protocol: Literal["ip4", "ip6"] | None = None


class Module(StrictModel):
    """One blackbox module: exactly one prober's settings."""

    timeout: PositiveDuration | None = Field(default=None, description="omitted: the scrape timeout, less half a second")
    http: HttpProbe | None = None
    tcp: TcpProbe | None = None
    icmp: IcmpProbe | None = None
    dns: DnsProbe | None = None

    @model_validator(mode="after")
    def _one_prober(self) -> "Module":
        set_ = [p for p in ("http", "tcp", "icmp", "dns") if getattr(self, p) is not None]
        if len(set_) != 1:
            raise ValueError("set exactly one prober: http, tcp, icmp or dns" + (f" (got {', '.join(set_)})" if set_ else ""))
        return self

    @property
    def prober(self) -> str:
        return next(p for p in ("http", "tcp", "icmp", "dns") if getattr(self, p) is not None)


class Blackbox(StrictModel):
    """The blackbox exporter Prometheus sends probe scrapes to."""

    address: HostPort = Field(default="blackbox:9115", description="host:port Prometheus reaches the exporter at")
    modules: dict[Slug, Module] = Field(min_length=1)


class Probe(StrictModel):
    """Makes a target a probe: Prometheus asks the blackbox exporter to probe each of
    `targets` with `module` (the standard relabelling: __param_target, instance, __address__)."""

    module: Slug = Field(description="a module in blackbox.modules")
    targets: list[NonEmpty] = Field(min_length=1, description="what the module probes: URLs (http), host:port (tcp, dns), hosts (icmp)")

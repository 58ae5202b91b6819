"""TLS and authentication between the servers (docs/hardening.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sfmon.model.base import AbsFile, BcryptHash, FieldError, NonEmpty, SecretFile, StrictModel, UserName


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
        if self.client_ca_file is not None and self.client_auth_type == "NoClientCert":
            # exporter-toolkit's web/tls_config.go refuses it (found by the hostile sweep)
            raise FieldError(
                ("client_ca_file",),
                "client_ca_file is set but client_auth_type is NoClientCert (the default): Prometheus and Alertmanager "
                "refuse it (\"Client CA's have been configured without a Client Auth Policy\"); set client_auth_type, "
                "e.g. RequireAndVerifyClientCert"
            )
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

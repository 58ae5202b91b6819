"""Alertmanager's `global` block: SMTP defaults every email receiver inherits and the HTTP
client settings (proxy, TLS) of every integration. Credentials by file only."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import HostPort, NonEmpty, SecretFile, StrictModel, Url
from sfmon.model.security import ClientTLS


class SMTP(StrictModel):
    """Defaults for email receivers (smtp_* in alertmanager.yml): a receiver's own setting wins."""

    from_: NonEmpty | None = Field(default=None, alias="from", description="sender address")
    smarthost: HostPort | None = Field(default=None, description="host:port of the SMTP server")
    hello: NonEmpty | None = Field(default=None, description="name sent in HELO/EHLO; default localhost")
    auth_username: NonEmpty | None = None
    auth_password_file: SecretFile | None = Field(default=None, description="file holding the SMTP password")
    require_tls: bool | None = Field(default=None, description="default Alertmanager's (true)")


class HttpClient(StrictModel):
    """How Alertmanager calls the notification services (global http_config); sfmon adds the same
    proxy and TLS to an integration that writes its own http_config (a bearer token), which
    Alertmanager would otherwise use instead of the global one."""

    proxy_url: Url | None = Field(default=None, description="HTTP proxy for every notification (no credentials in the URL)")
    tls: ClientTLS | None = Field(default=None, description="how Alertmanager checks the services' certificates (tls_config)")
    follow_redirects: bool | None = Field(default=None, description="default Alertmanager's (true)")


class Global(StrictModel):
    smtp: SMTP | None = None
    http_config: HttpClient | None = None

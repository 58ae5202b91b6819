"""Email through an SMTP server (email_configs)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import HostPort, NonEmpty, SecretFile, StrictModel
from sfmon.model.receivers.integration import Integration


class Email(StrictModel):
    to: list[NonEmpty] = Field(min_length=1, description="recipient group")
    from_: NonEmpty = Field(alias="from")
    smarthost: HostPort = Field(description="host:port of the SMTP server")
    auth_username: str | None = None
    auth_password_file: SecretFile | None = None
    require_tls: bool = True
    send_resolved: bool = True


ENTRY = Integration("email", "email_configs", Email)

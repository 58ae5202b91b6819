"""Email through an SMTP server (email_configs)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import HostPort, NonEmpty, SecretFile, StrictModel
from sfmon.model.receivers.integration import Integration


class Email(StrictModel):
    to: list[NonEmpty] = Field(min_length=1, description="recipient group")
    from_: NonEmpty | None = Field(default=None, alias="from", description="sender; default alertmanager.global.smtp.from")
    smarthost: HostPort | None = Field(
        default=None, description="host:port of the SMTP server; default alertmanager.global.smtp.smarthost"
    )
    auth_username: str | None = Field(default=None, description="default alertmanager.global.smtp.auth_username")
    auth_password_file: SecretFile | None = Field(default=None, description="default alertmanager.global.smtp.auth_password_file")
    require_tls: bool | None = Field(default=None, description="default alertmanager.global.smtp.require_tls (true)")
    send_resolved: bool = True


ENTRY = Integration(
    "email", "email_configs", Email,
    messages=(("headers.Subject", "sfmon.email.subject", "text"), ("html", "sfmon.email.html", "html"), ("text", "sfmon.email.text", "text")),
)  # fmt: skip

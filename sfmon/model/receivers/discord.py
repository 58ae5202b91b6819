"""Discord through a channel webhook (discord_configs; the URL from a file since Alertmanager 0.27)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import SecretFile, StrictModel
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration
from sfmon.semantics.versions import Version


class Discord(StrictModel):
    webhook_url_file: SecretFile = Field(description="file holding the channel's webhook URL (Alertmanager 0.27 and later)")
    title: AmTemplateStr | None = Field(default=None, description="title (Go template); default Alertmanager's")
    message: AmTemplateStr | None = Field(default=None, description="message (Go template); default Alertmanager's")
    send_resolved: bool = True


ENTRY = Integration("discord", "discord_configs", Discord, since=Version(0, 27), messages=(("title", None, "text"), ("message", None, "text"),))

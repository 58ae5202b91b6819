"""Microsoft Teams through an incoming webhook (msteams_configs; the URL from a file since Alertmanager 0.27)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import SecretFile, StrictModel
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration
from sfmon.semantics.versions import Version


class MSTeams(StrictModel):
    webhook_url_file: SecretFile = Field(description="file holding the incoming webhook's URL (Alertmanager 0.27 and later)")
    title: AmTemplateStr | None = Field(default=None, description="card title (Go template); default Alertmanager's")
    text: AmTemplateStr | None = Field(default=None, description="card text (Go template); default Alertmanager's")
    send_resolved: bool = True


ENTRY = Integration("msteams", "msteams_configs", MSTeams, since=Version(0, 27), messages=(("title", None, "text"), ("text", None, "text"),))

"""Pushover: a push to a user's devices (pushover_configs; keys from files since Alertmanager 0.26)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import SecretFile, StrictModel
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration
from sfmon.semantics.versions import Version
from sfmon.semantics.units import PositiveDuration


class Pushover(StrictModel):
    user_key_file: SecretFile = Field(description="file holding the recipient's user key (Alertmanager 0.26 and later)")
    token_file: SecretFile = Field(description="file holding the application's API token (Alertmanager 0.26 and later)")
    title: AmTemplateStr | None = Field(default=None, description="title (Go template); default Alertmanager's")
    message: AmTemplateStr | None = Field(default=None, description="message (Go template); default Alertmanager's")
    priority: AmTemplateStr | None = Field(
        default=None, description="Pushover priority, -2 to 2 (Go template); default Alertmanager's: 2 while firing, else 0"
    )
    retry: PositiveDuration | None = Field(default=None, description="how often an emergency (2) push repeats; default 1m")
    expire: PositiveDuration | None = Field(default=None, description="how long an emergency push repeats; default 1h")
    send_resolved: bool = True


ENTRY = Integration("pushover", "pushover_configs", Pushover, since=Version(0, 26), messages=(("title", None, "text"), ("message", None, "text"), ("priority", None, "text"),))

"""PagerDuty, Events API v2 or v1 (pagerduty_configs)."""

from __future__ import annotations

from pydantic import Field, model_validator

from sfmon.model.base import SecretFile, StrictModel, Url
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration


class PagerDuty(StrictModel):
    routing_key_file: SecretFile | None = Field(default=None, description="file holding the Events API v2 routing key")
    service_key_file: SecretFile | None = Field(default=None, description="file holding an Events API v1 service key")
    url: Url | None = Field(default=None, description="Events API endpoint; default PagerDuty's")
    description: AmTemplateStr | None = Field(default=None, description="incident summary (Go template); default sfmon's title")
    send_resolved: bool = True

    @model_validator(mode="after")
    def _one_key(self) -> "PagerDuty":
        if (self.routing_key_file is None) == (self.service_key_file is None):
            raise ValueError("set exactly one of routing_key_file (Events API v2) or service_key_file (v1)")
        return self


ENTRY = Integration(
    "pagerduty", "pagerduty_configs", PagerDuty,
    messages=(("description", "sfmon.pagerduty.description", "text"), ("details.alerts", "sfmon.pagerduty.alerts", "text")),
)  # fmt: skip

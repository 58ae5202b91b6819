"""A generic webhook: Alertmanager POSTs its JSON payload (webhook_configs)."""

from __future__ import annotations

from pydantic import Field, model_validator

from sfmon.model.base import SecretFile, StrictModel, Url
from sfmon.model.receivers.integration import Integration
from sfmon.model.security import BasicAuth


class Webhook(StrictModel):
    url: Url
    bearer_token_file: SecretFile | None = None
    basic_auth: BasicAuth | None = None
    max_alerts: int = Field(default=0, ge=0, le=2**63 - 1)
    send_resolved: bool = True

    @model_validator(mode="after")
    def _one_auth(self) -> "Webhook":
        if self.bearer_token_file and self.basic_auth:
            raise ValueError("set either bearer_token_file or basic_auth, not both")
        return self


ENTRY = Integration("webhook", "webhook_configs", Webhook)

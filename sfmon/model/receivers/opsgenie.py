"""Opsgenie through its Alert API (opsgenie_configs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sfmon.model.base import NonEmpty, SecretFile, StrictModel, Url
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration


def _no_comma(value: str) -> str:
    # Alertmanager sends its tags as one comma-separated string.
    if "," in value:
        raise ValueError("a tag must not contain ',' (Opsgenie tags are sent comma-separated)")
    return value


class OpsgenieResponder(StrictModel):
    """Who Opsgenie notifies: a team, user, escalation or schedule, by one of id, name or username."""

    type: Literal["team", "teams", "user", "escalation", "schedule"]
    id: NonEmpty | None = None
    name: NonEmpty | None = None
    username: NonEmpty | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> "OpsgenieResponder":
        if sum(v is not None for v in (self.id, self.name, self.username)) != 1:
            raise ValueError("set exactly one of id, name or username")
        return self


class Opsgenie(StrictModel):
    api_key_file: SecretFile = Field(description="file holding the key of an Opsgenie API integration")
    api_url: Url | None = Field(
        default=None, description="Opsgenie API; default https://api.opsgenie.com/ (EU accounts: https://api.eu.opsgenie.com/)"
    )
    message: AmTemplateStr | None = Field(default=None, description="alert message (Go template); default sfmon's title")
    description: AmTemplateStr | None = Field(default=None, description="alert description (Go template); default sfmon's alert list")
    priority: Literal["P1", "P2", "P3", "P4", "P5"] | None = Field(default=None, description="default Opsgenie's (P3)")
    tags: list[Annotated[NonEmpty, AfterValidator(_no_comma)]] = Field(default_factory=list)
    responders: list[OpsgenieResponder] = Field(default_factory=list, description="default: the integration's team")
    send_resolved: bool = True


ENTRY = Integration(
    "opsgenie", "opsgenie_configs", Opsgenie,
    messages=(("message", "sfmon.opsgenie.message", "text"), ("description", "sfmon.opsgenie.description", "text")),
)  # fmt: skip

"""Slack through an incoming webhook (slack_configs)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import NonEmpty, SecretFile, StrictModel
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration


class Slack(StrictModel):
    channel: NonEmpty
    api_url_file: SecretFile = Field(description="file holding the Slack incoming-webhook URL")
    send_resolved: bool = True
    title: AmTemplateStr | None = Field(default=None, description="title (Go template); default sfmon's (alertmanager.messages)")
    text: AmTemplateStr | None = Field(
        default=None, description="text (Go template); default sfmon's: each alert's summary, labels and links"
    )


ENTRY = Integration("slack", "slack_configs", Slack, messages=(("title", "sfmon.slack.title", "text"), ("text", "sfmon.slack.text", "text")))

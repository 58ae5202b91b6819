"""Slack through an incoming webhook (slack_configs)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import NonEmpty, SecretFile, StrictModel
from sfmon.model.receivers.integration import Integration


class Slack(StrictModel):
    channel: NonEmpty
    api_url_file: SecretFile = Field(description="file holding the Slack incoming-webhook URL")
    send_resolved: bool = True
    title: str = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.job }})'
    text: str = "{{ range .Alerts }}{{ .Annotations.summary }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}"


ENTRY = Integration("slack", "slack_configs", Slack)

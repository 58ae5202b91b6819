"""VictorOps (Splunk On-Call) through its REST endpoint integration (victorops_configs)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import NonEmpty, SecretFile, StrictModel, Url
from sfmon.model.receivers.integration import Integration


class VictorOps(StrictModel):
    api_key_file: SecretFile = Field(description="file holding the key of the REST endpoint integration")
    routing_key: NonEmpty = Field(description="routing key that picks the escalation policy (not a secret)")
    api_url: Url | None = Field(
        default=None, description="REST endpoint; default https://alert.victorops.com/integrations/generic/20131114/alert/"
    )
    send_resolved: bool = True


ENTRY = Integration("victorops", "victorops_configs", VictorOps)

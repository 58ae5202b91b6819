"""Receiver integrations, one module each (model + registry entry), and the `Receiver` built
from them. Adding one: a module here, an entry in INTEGRATIONS, a template in
templates/receivers/. Rendering, compose secret mounts and check messages follow the registry."""

from __future__ import annotations

from pydantic import Field, create_model

from sfmon.model.base import ReceiverName, StrictModel
from sfmon.model.receivers import (
    discord, email, msteams, opsgenie, pagerduty, pushover, slack, sns, telegram, victorops, webex, webhook,
)  # fmt: skip
from sfmon.model.receivers.discord import Discord
from sfmon.model.receivers.email import Email
from sfmon.model.receivers.integration import Integration, secret_files
from sfmon.model.receivers.msteams import MSTeams
from sfmon.model.receivers.opsgenie import Opsgenie, OpsgenieResponder
from sfmon.model.receivers.pagerduty import PagerDuty
from sfmon.model.receivers.pushover import Pushover
from sfmon.model.receivers.slack import Slack
from sfmon.model.receivers.sns import SNS, SigV4
from sfmon.model.receivers.telegram import Telegram
from sfmon.model.receivers.victorops import VictorOps
from sfmon.model.receivers.webex import Webex
from sfmon.model.receivers.webhook import Webhook

# Spec key -> integration, in the order the spec documents them and alertmanager.yml lists them.
INTEGRATIONS: dict[str, Integration] = {
    e.key: e
    for e in (
        email.ENTRY, slack.ENTRY, pagerduty.ENTRY, webhook.ENTRY, opsgenie.ENTRY, victorops.ENTRY, webex.ENTRY, sns.ENTRY,
        telegram.ENTRY, discord.ENTRY, pushover.ENTRY, msteams.ENTRY,
    )  # fmt: skip
}


class ReceiverBase(StrictModel):
    name: ReceiverName
    shared: bool = Field(
        default=False,
        description="routes in other spec files (team files, docs/teams.md) may notify it; without it only routes "
        "in the file that defines it (or in the root spec) may",
    )

    def integrations(self) -> list[str]:
        """The keys of the integrations this receiver sets, in registry order."""
        return [key for key in INTEGRATIONS if getattr(self, key) is not None]

    def secret_files(self) -> list[str]:
        """Every secret file the receiver's integrations make Alertmanager read."""
        return [path for key in self.integrations() for path in secret_files(getattr(self, key))]


Receiver = create_model(
    "Receiver",
    __base__=ReceiverBase,
    __module__=__name__,
    __doc__="A named set of integrations: an alert routed to it goes to each of them.",
    **{key: (e.model | None, Field(default=None)) for key, e in INTEGRATIONS.items()},
)

__all__ = [
    "INTEGRATIONS", "Integration", "Receiver", "ReceiverBase", "secret_files",
    "Email", "Slack", "PagerDuty", "Webhook", "Opsgenie", "OpsgenieResponder", "VictorOps", "Webex", "SNS", "SigV4",
    "Telegram", "Discord", "Pushover", "MSTeams",
]  # fmt: skip

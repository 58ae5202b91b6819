"""Webex: a bot posts to a room (webex_configs)."""

from __future__ import annotations

from pydantic import Field

from sfmon.model.base import NonEmpty, SecretFile, StrictModel, Url
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration


class Webex(StrictModel):
    room_id: NonEmpty = Field(description="the room the bot posts to")
    bot_token_file: SecretFile = Field(description="file holding the bot's access token, sent as 'Authorization: Bearer <token>'")
    api_url: Url | None = Field(default=None, description="messages API; default https://webexapis.com/v1/messages")
    message: AmTemplateStr | None = Field(default=None, description="message (Go template); default Alertmanager's")
    send_resolved: bool = True


ENTRY = Integration("webex", "webex_configs", Webex, messages=(("message", None, "text"),))

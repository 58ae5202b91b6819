"""Telegram: a bot posts to a chat (telegram_configs; the token from a file since Alertmanager 0.26)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from sfmon.model.base import SecretFile, StrictModel, Url
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration
from sfmon.semantics.versions import Version


class Telegram(StrictModel):
    bot_token_file: SecretFile = Field(description="file holding the bot's token (Alertmanager 0.26 and later)")
    chat_id: int = Field(description="the chat the bot posts to (negative for groups)", ge=-(2**63), le=2**63 - 1)
    api_url: Url | None = Field(default=None, description="Bot API; default https://api.telegram.org")
    message: AmTemplateStr | None = Field(default=None, description="message (Go template); default Alertmanager's")
    parse_mode: Literal["", "HTML", "Markdown", "MarkdownV2"] | None = Field(
        default=None, description="how Telegram reads the message; default Alertmanager's (HTML)"
    )
    disable_notifications: bool = False
    send_resolved: bool = True

    @field_validator("chat_id")
    @classmethod
    def _chat(cls, value: int) -> int:
        if value == 0:
            raise ValueError("chat_id 0 is no chat: Alertmanager reads it as missing and refuses the file")
        return value


ENTRY = Integration("telegram", "telegram_configs", Telegram, since=Version(0, 26), messages=(("message", None, "text"),))

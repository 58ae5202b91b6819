"""Amazon SNS: publish to a topic, an endpoint or a phone number (sns_configs)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from sfmon.model.base import NonEmpty, StrictModel, Url
from sfmon.model.messages import AmTemplateStr
from sfmon.model.receivers.integration import Integration


def _arn(value: str) -> str:
    if not re.fullmatch(r"arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:\S+", value):
        raise ValueError(f"invalid ARN {value!r}: expected arn:<partition>:<service>:<region>:<account>:<resource>")
    return value


def _phone(value: str) -> str:
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", value):
        raise ValueError(f"invalid phone number {value!r}: use E.164, e.g. +14155550100")
    return value


Arn = Annotated[str, AfterValidator(_arn)]


class SigV4(StrictModel):
    """How Alertmanager signs its SNS requests: with the default AWS credentials, never a key in the spec."""

    region: NonEmpty = Field(description="AWS region of the topic, e.g. eu-west-1")
    role_arn: Arn | None = Field(default=None, description="IAM role to assume with the default credentials")


class SNS(StrictModel):
    topic_arn: Arn | None = Field(default=None, description="topic to publish to")
    target_arn: Arn | None = Field(default=None, description="mobile endpoint to publish to")
    phone_number: Annotated[str, AfterValidator(_phone)] | None = Field(default=None, description="send an SMS to this number")
    sigv4: SigV4 = Field(
        description="AWS signing. Alertmanager 0.25 takes a secret key only inline (no file form), so sfmon "
        "accepts no access_key/secret_key: credentials come from Alertmanager's environment or its IAM "
        "role (instance, task), optionally exchanged for role_arn"
    )
    api_url: Url | None = Field(default=None, description="SNS endpoint; default the region's")
    subject: AmTemplateStr | None = Field(default=None, description="subject (Go template); default Alertmanager's")
    message: AmTemplateStr | None = Field(default=None, description="message (Go template); default Alertmanager's")
    send_resolved: bool = True

    @model_validator(mode="after")
    def _one_destination(self) -> "SNS":
        if sum(v is not None for v in (self.topic_arn, self.target_arn, self.phone_number)) != 1:
            raise ValueError("set exactly one of topic_arn, target_arn or phone_number")
        return self


ENTRY = Integration("sns", "sns_configs", SNS, messages=(("subject", None, "text"), ("message", None, "text"),))

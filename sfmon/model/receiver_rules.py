"""What a receiver needs from the rest of the Alertmanager settings: an integration whose
credentials only a newer release reads from a file needs that release as
`alertmanager.version`; an email receiver without a smarthost or sender needs the global
SMTP default (amtool check-config refuses both otherwise)."""

from __future__ import annotations

from typing import Any, Sequence

from sfmon.model.base import FieldError
from sfmon.model.receivers import INTEGRATIONS
from sfmon.semantics.versions import parse_version


def check(receivers: Sequence[Any], settings: Any) -> None:
    """Raise FieldError (placed from the spec's root) at the first receiver that does not fit."""
    target = parse_version(settings.version) if settings.version else None
    smtp = settings.global_.smtp
    for i, rc in enumerate(receivers):
        for key in rc.integrations():
            since = INTEGRATIONS[key].since
            if since is None or (target is not None and target >= since):
                continue
            needs = f"Alertmanager reads {key}'s credentials from files from {since.major}.{since.minor} on"
            if target is None:
                raise FieldError(("receivers", i, key), (
                    f"{needs}, and the spec does not say which release it targets: set alertmanager.version "
                    f"to {since.major}.{since.minor} or later"
                ))  # fmt: skip
            raise FieldError(("receivers", i, key), (
                f"{needs}; alertmanager.version {settings.version} would need the secret inline, which sfmon never writes: "
                f"target {since.major}.{since.minor} or later, or use another integration"
            ))  # fmt: skip
        email = rc.email
        if email is None:
            continue
        for field, spec_key, what in (("smarthost", "smarthost", "SMTP server"), ("from_", "from", "sender")):
            if getattr(email, field) is None and (smtp is None or getattr(smtp, field) is None):
                raise FieldError(
                    ("receivers", i, "email"),
                    f"no {what}: set {spec_key} here or alertmanager.global.smtp.{spec_key} for every email receiver",
                )

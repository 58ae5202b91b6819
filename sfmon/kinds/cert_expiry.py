"""`cert_expiry`: a probed certificate expires within a duration
(`probe_ssl_earliest_cert_expiry - time() < within`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sfmon.kinds.base import Selector
from sfmon.kinds.deadline import Deadline


class CertExpiry(Deadline):
    """A deadline on the earliest expiry of the chain the probe saw (http over TLS, tcp with tls)."""

    kind: Literal["cert_expiry"]  # type: ignore[assignment]
    metric: Selector = Field(default="probe_ssl_earliest_cert_expiry", description="Unix time the first certificate of the chain expires")

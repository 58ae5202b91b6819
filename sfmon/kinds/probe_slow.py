"""`probe_slow`: a blackbox probe takes longer than a number of seconds (`probe_duration_seconds`)."""

from __future__ import annotations

from typing import Literal

from typing import Any

from pydantic import Field, field_validator

from sfmon.kinds.base import Selector
from sfmon.kinds.threshold import GaugeThreshold


class ProbeSlow(GaugeThreshold):
    """A threshold on the probe's own duration; `above` in seconds (e.g. 2.5)."""

    kind: Literal["probe_slow"]  # type: ignore[assignment]
    metric: Selector = Field(default="probe_duration_seconds", description="seconds the probe took, per probed target")
    window: None = Field(default=None, description="not for probes: the duration is a gauge, compared as it is")

    @field_validator("window", mode="before")
    @classmethod
    def _no_window(cls, value: Any) -> None:
        if value is not None:
            raise ValueError("probe_duration_seconds is a gauge, compared as it is: remove window (use `for` to hold it)")
        return None

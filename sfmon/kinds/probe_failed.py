"""`probe_failed`: a blackbox probe of a probe target fails (`probe_success == 0`), per probed target."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sfmon.kinds.target_down import TargetDown
from sfmon.model.base import MetricName


class ProbeFailed(TargetDown):
    """TargetDown's rule and tests on the exporter's verdict: the scrape of the exporter
    succeeds while the probe it runs fails, so `up` stays 1 and only `probe_success` says so."""

    kind: Literal["probe_failed"]  # type: ignore[assignment]
    metric: MetricName = Field(default="probe_success", description="the exporter's verdict, 1 or 0")

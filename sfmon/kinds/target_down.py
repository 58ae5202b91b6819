"""`target_down`: the target's up-style metric is 0 (scrape failed, or the exporter says its backend is down)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from sfmon.kinds.base import AlertBase
from sfmon.modelbase import MetricName, Slug, promql_string


class TargetDown(AlertBase):
    kind: Literal["target_down"]
    target: Slug
    metric: MetricName = "up"

    def expr(self) -> str:
        return f"{self.metric}{{job={promql_string(self.target)}}} == 0"

    def threshold(self) -> tuple[str, Decimal]:
        return ("==", Decimal(0))

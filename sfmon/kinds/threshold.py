"""`threshold`: a gauge (or a counter's rate) above or below a number."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, Threshold, compare, scoped
from sfmon.modelbase import LabelName, Slug
from sfmon.units import Number, PositiveDuration


class GaugeThreshold(Threshold, AlertBase):
    kind: Literal["threshold"]
    target: Slug
    metric: Selector
    window: PositiveDuration | None = Field(default=None, description="set for counters: compare rate(metric[window])")
    aggregate: Literal["sum", "max", "min", "avg"] = "max"
    above: Number | None = None
    below: Number | None = None
    by: list[LabelName] = Field(default_factory=lambda: ["job"])

    def expr(self) -> str:
        inner = scoped(self.metric, self.target)
        if self.window is not None:
            inner = f"rate({inner}[{self.window}])"
        op, value = self.threshold()
        return f"{self.aggregate} by ({', '.join(self.by)}) ({inner}) {compare(op, value)}"

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above) if self.above is not None else ("<", self.below)  # type: ignore[return-value]

"""`latency_quantile`: a histogram quantile (p95 by default) above a duration."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from sfmon.kinds.base import AlertBase, Selector, compare, scoped
from sfmon.modelbase import LabelName, Slug
from sfmon.units import PositiveDuration
from sfmon.units import Number


class LatencyQuantile(AlertBase):
    kind: Literal["latency_quantile"]
    target: Slug
    histogram: Selector = Field(description="histogram family, without _bucket")
    unit: Literal["seconds", "milliseconds"] = "seconds"
    quantile: Number = Field(default=Decimal("0.95"))
    window: PositiveDuration = Field(default="5m")
    above: PositiveDuration
    by: list[LabelName] = Field(default_factory=lambda: ["job"])

    @field_validator("quantile")
    @classmethod
    def _open_unit_interval(cls, q: Decimal) -> Decimal:
        if not 0 < q < 1:
            raise ValueError(f"must be between 0 and 1 (exclusive), got {q}")
        return q

    def limit(self) -> Decimal:
        """The threshold in the histogram's own unit."""
        return self.above.seconds if self.unit == "seconds" else Decimal(self.above.ms)

    def expr(self) -> str:
        from sfmon.units import fmt_number

        by = ", ".join([*self.by, "le"])
        bucket = scoped(self.histogram, self.target, "_bucket")
        return (
            f"histogram_quantile({fmt_number(self.quantile)},"
            f" sum by ({by}) (rate({bucket}[{self.window}]))) {compare('>', self.limit())}"
        )

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.limit())

"""`slow_events`: how many observations of a histogram were slower than a duration in a window."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, compare, scoped
from sfmon.modelbase import LabelName, Slug, promql_string
from sfmon.units import Number, PositiveDuration, fmt_number


class SlowEvents(AlertBase):
    kind: Literal["slow_events"]
    target: Slug
    histogram: Selector = Field(description="histogram family, without _bucket; needs a bucket at slower_than")
    unit: Literal["seconds", "milliseconds"] = "seconds"
    slower_than: PositiveDuration
    window: PositiveDuration = Field(default="5m")
    above: Number = Field(description="count of slow events in the window")
    by: list[LabelName] = Field(default_factory=lambda: ["job"])

    def le(self) -> str:
        return fmt_number(self.slower_than.seconds if self.unit == "seconds" else Decimal(self.slower_than.ms))

    def le_matcher(self) -> str:
        # Go clients write le="1000", Python clients le="1000.0": match both.
        le = self.le()
        pattern = le.replace(".", "\\.") + ("(\\.0+)?" if "." not in le else "0*")
        return f"le=~{promql_string(pattern)}"

    def expr(self) -> str:
        by = ", ".join(self.by)
        total = scoped(self.histogram, self.target, "_bucket").rstrip("}")
        sep = "," if "{" in total else "{"
        all_ = f'{total}{sep}le="+Inf"}}'
        fast = f"{total}{sep}{self.le_matcher()}}}"
        return (
            f"sum by ({by}) (increase({all_}[{self.window}])) - "
            f"sum by ({by}) (increase({fast}[{self.window}])) {compare('>', self.above)}"
        )

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above)

"""`ratio`: one series over the sum of others (hit ratio, pool usage), above or below a percentage."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, Threshold, compare, scoped
from sfmon.modelbase import LabelName, Slug
from sfmon.units import PercentStr, PositiveDuration


class Ratio(Threshold, AlertBase):
    kind: Literal["ratio"]
    target: Slug
    numerator: Selector
    denominator: list[Selector] = Field(min_length=1, description="summed; e.g. [cache_hits_total, cache_misses_total]")
    window: PositiveDuration | None = Field(default=None, description="set for counters: each term becomes rate(...[window])")
    above: PercentStr | None = None
    below: PercentStr | None = None
    by: list[LabelName] = Field(default_factory=lambda: ["job"])

    def _term(self, selector: str) -> str:
        inner = scoped(selector, self.target)
        if self.window is not None:
            inner = f"rate({inner}[{self.window}])"
        return f"sum by ({', '.join(self.by)}) ({inner})"

    def expr(self) -> str:
        den = " + ".join(self._term(s) for s in self.denominator)
        if len(self.denominator) > 1:
            den = f"({den})"
        op, value = self.threshold()
        return f"{self._term(self.numerator)} / {den} {compare(op, value)}"

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above.fraction) if self.above is not None else ("<", self.below.fraction)  # type: ignore[union-attr]

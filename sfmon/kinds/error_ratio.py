"""`error_ratio`: failed requests as a share of all requests, over a rate window."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, compare, scoped
from sfmon.modelbase import LabelName, Slug
from sfmon.units import PercentStr, PositiveDuration


class ErrorRatio(AlertBase):
    kind: Literal["error_ratio"]
    target: Slug
    errors: Selector = Field(description='counter selector of failed requests, e.g. http_requests_total{status=~"5.."}')
    total: Selector = Field(description="counter selector of all requests")
    window: PositiveDuration = Field(default="5m")
    above: PercentStr
    by: list[LabelName] = Field(default_factory=lambda: ["job"])

    def expr(self) -> str:
        by = ", ".join(self.by)
        err = scoped(self.errors, self.target)
        tot = scoped(self.total, self.target)
        return (
            f"sum by ({by}) (rate({err}[{self.window}])) / "
            f"sum by ({by}) (rate({tot}[{self.window}])) {compare('>', self.above.fraction)}"
        )

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above.fraction)

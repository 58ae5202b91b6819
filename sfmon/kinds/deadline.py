"""`deadline`: a timestamp metric (seconds since the epoch) closer to now than a duration:
`probe_ssl_earliest_cert_expiry - time() < 7d` (the certificate expires within a week)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterator, Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, OneMetric, Selector, aggregated, scoped
from sfmon.kinds.testgen import (
    Check,
    Group,
    TestEnv,
    constant,
    firing_check,
    make_series,
    safe_groups,
    settle_time,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.units import PositiveDuration, fmt_number


class Deadline(OneMetric, AlertBase):
    kind: Literal["deadline"]
    target: Slug
    metric: Selector = Field(description="a Unix timestamp in seconds, e.g. probe_ssl_earliest_cert_expiry")
    within: PositiveDuration = Field(description="fires when the timestamp is less than this far ahead (or past), e.g. 7d")
    by: list[LabelName] | None = Field(default=None, description="the earliest per these labels; unset: each series")

    def inner(self) -> str:
        return aggregated("min", self.by, scoped(self.metric, self.target))

    def expr(self) -> str:
        return f"{self.inner()} - time() < {fmt_number(self.within.seconds)}"

    def threshold(self) -> tuple[str, Decimal]:
        return ("<", self.within.seconds)

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """A deadline 90% of `within` ahead when `for` starts counting fires (and keeps
        firing as time runs towards it); one 110% ahead at the eval time stays quiet."""
        rule = self.alert_rule()
        found = self.metric_series(env)
        if found is None:
            return []
        sel, labels, out = found
        step = env.evaluation_interval_ms
        at = settle_time(env, step, 0, self.for_.ms)
        start = (at - self.for_.ms) // step * step  # an evaluation at or before `for` starts
        within = self.within.seconds

        def build(firing: bool) -> Iterator[Group]:
            cases = ((Decimal(start) / 1000 + within * Decimal("0.9"), True), (Decimal(at) / 1000 + within * Decimal("1.1"), False))
            for stamp, fires in cases:
                if fires and not firing:
                    continue
                # Whole seconds, as exporters write them, rounded away from the threshold.
                stamp = Decimal(math.floor(stamp) if fires else math.ceil(stamp))
                series = make_series(sel.name, labels, constant(stamp, at, step))
                check = firing_check(rule, at, out, float(stamp) - at / 1000, env) if fires else Check(at)
                verb = "fires" if fires else "stays quiet"
                left = fmt_number(stamp - Decimal(at) / 1000)
                yield Group(
                    f"{self.name}: {verb} with {left}s left at {fmt_number(Decimal(at) / 1000)}s (within {self.within})",
                    self.name,
                    step,
                    (series,),
                    (check,),
                )

        return safe_groups(env, self, build)

"""`slow_events`: how many observations of a histogram were slower than a duration in a window."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, compare, scoped
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    counter,
    firing_check,
    grouped,
    make_series,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
)
from sfmon.model.base import LabelName, Slug, promql_string
from sfmon.semantics.promql import rate, samples
from sfmon.semantics.units import Number, PositiveDuration, fmt_number


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

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"histogram": scoped(self.histogram, self.target, "_bucket")}

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above)

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """A whole number of slow observations just over `above` in the window (ceil of 110%)
        fires after `for`; just under (floor of 90%) stays quiet. Fast observations keep
        arriving in both, so the +Inf and the `slower_than` bucket differ by the slow ones."""
        rule = self.alert_rule()
        hist = SeriesSelector.parse(scoped(self.histogram, self.target, "_bucket"))
        labels = solve_labels(env.target_labels(self.target), hist, present=self.by)
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.histogram}; no tests generated")
            return []
        fast = 10
        out = grouped(labels, self.by)

        def scenario(count: int, fires: bool) -> Group:
            step, slow = _pace(count, self.window.ms)
            at = settle_time(env, step, self.window.ms, self.for_.ms)
            inf = make_series(hist.name, {**labels, "le": "+Inf"}, counter(fast + slow, at, step))
            le = make_series(hist.name, {**labels, "le": self.le()}, counter(fast, at, step))
            check = Check(at)
            if fires:
                inc_inf = rate(samples(inf.segments), step, at, self.window.ms, is_rate=False, prom3=env.prom3)
                inc_le = rate(samples(le.segments), step, at, self.window.ms, is_rate=False, prom3=env.prom3)
                check = firing_check(rule, at, out, inc_inf - inc_le)  # type: ignore[operator]
            verb = "fires" if fires else "stays quiet"
            return Group(
                f"{self.name}: {verb} at {count} slower than {self.slower_than} in {self.window} (above {fmt_number(self.above)})",
                self.name,
                step,
                (inf, le),
                (check,),
            )

        def build(firing: bool):
            t = self.above
            if firing:
                yield scenario(max(math.ceil(t * Decimal("1.1")), math.floor(t) + 1), True)
            yield scenario(max(0, min(math.floor(t * Decimal("0.9")), math.ceil(t) - 1)), False)

        return safe_groups(env, self, build)


def _pace(count: int, window_ms: int) -> tuple[int, Decimal]:
    """(sample interval, slow observations per sample) so that every window holds exactly
    `count` slow ones in whole-number steps, which keeps `{{ $value }}` a whole number:
    `count` = k samples x d each, with k >= 2 samples per window on whole seconds and d as
    small as it can be. k runs over the divisors of the window's seconds, not over `count`:
    `above` may be a trillion."""
    if count >= 2 and window_ms % 1000 == 0:
        seconds = window_ms // 1000
        divisors = {d for i in range(1, math.isqrt(seconds) + 1) if seconds % i == 0 for d in (i, seconds // i)}
        for k in sorted(divisors, reverse=True):
            if 2 <= k and count % k == 0:
                return window_ms // k, Decimal(count // k)
    step = series_interval(window_ms)
    return step, Decimal(count) / (window_ms // step)

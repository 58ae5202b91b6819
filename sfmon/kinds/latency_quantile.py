"""`latency_quantile`: a histogram quantile (p95 by default) above a duration."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

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
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.promql import bucket_quantile, rate, samples
from sfmon.semantics.units import PositiveDuration, fmt_number
from sfmon.semantics.units import Number


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
        from sfmon.semantics.units import fmt_number

        by = ", ".join([*self.by, "le"])
        bucket = scoped(self.histogram, self.target, "_bucket")
        return (
            f"histogram_quantile({fmt_number(self.quantile)},"
            f" sum by ({by}) (rate({bucket}[{self.window}]))) {compare('>', self.limit())}"
        )

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"histogram": scoped(self.histogram, self.target, "_bucket")}

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.limit())

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """Observations placed so the quantile is 10% over the limit (fires after `for`) or 10%
        under it (stays quiet). All observations sit in one bucket (lo, hi] with lo chosen so
        that linear interpolation lands exactly on the target: lo + (hi - lo) * q."""
        rule = self.alert_rule()
        hist = SeriesSelector.parse(scoped(self.histogram, self.target, "_bucket"))
        labels = solve_labels(env.target_labels(self.target), hist, present=self.by)
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.histogram}; no tests generated")
            return []
        step = series_interval(self.window.ms)
        at = settle_time(env, step, self.window.ms, self.for_.ms)
        limit = self.limit()
        width = limit / 10
        out = grouped(labels, self.by)
        unit = "s" if self.unit == "seconds" else "ms"

        def scenario(target: Decimal, fires: bool) -> Group:
            lo = target - self.quantile * width
            hi = lo + width
            per_step = 10
            series = tuple(
                make_series(hist.name, {**labels, "le": le}, counter(n, at, step))
                for le, n in ((fmt_number(lo), 0), (fmt_number(hi), per_step), ("+Inf", per_step))
            )
            check = Check(at)
            if fires:
                rates = [(float(s.label_map()["le"]), rate(samples(s.segments), step, at, self.window.ms, prom3=env.prom3)) for s in series]
                value = bucket_quantile(float(str(self.quantile)), rates)  # type: ignore[arg-type]
                check = firing_check(rule, at, out, value)
            verb = "fires" if fires else "stays quiet"
            q = fmt_number(self.quantile * 100)
            return Group(
                f"{self.name}: {verb} at p{q} {fmt_number(target)}{unit} (above {self.above})",
                self.name,
                step,
                series,
                (check,),
            )

        def build(firing: bool):
            if firing:
                yield scenario(limit * Decimal("1.1"), True)
            yield scenario(limit * Decimal("0.9"), False)

        return safe_groups(env, self, build)

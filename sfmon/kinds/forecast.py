"""`forecast`: where a gauge's linear trend over a window will be after a horizon
(`predict_linear(x[6h], 4h) < 0`: the disk is full within 4 hours)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterator, Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, OneMetric, Selector, Threshold, aggregated, compare, scoped
from sfmon.kinds.testgen import (
    Check,
    Group,
    TestEnv,
    firing_check,
    make_series,
    safe_groups,
    series_interval,
    settle_time,
    steps,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.promql import Segment, predict_linear, samples
from sfmon.semantics.units import PositiveDuration, SignedNumber, fmt_number


class Forecast(OneMetric, Threshold, AlertBase):
    kind: Literal["forecast"]
    target: Slug
    metric: Selector
    window: PositiveDuration = Field(description="how much history the trend is fitted to, e.g. 6h")
    horizon: PositiveDuration = Field(description="how far ahead, e.g. 4h")
    above: SignedNumber | None = None
    below: SignedNumber | None = None
    by: list[LabelName] | None = Field(
        default=None, description="aggregate by these labels (the worst: min for below, max for above); unset: each series"
    )

    def inner(self) -> str:
        return f"predict_linear({scoped(self.metric, self.target)}[{self.window}], {fmt_number(self.horizon.seconds)})"

    def expr(self) -> str:
        op, value = self.threshold()
        agg = "min" if op == "<" else "max"
        return f"{aggregated(agg, self.by, self.inner())} {compare(op, value)}"

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """A gauge D away from the threshold at the eval time (D = 10 x horizon / sample
        interval, whole numbers), moving towards it by whole steps per sample: fast enough to
        pass it within the horizon (fires after `for`), or too slow to (stays quiet)."""
        rule = self.alert_rule()
        found = self.metric_series(env)
        if found is None:
            return []
        sel, labels, out = found
        op, t = self.threshold()
        step = series_interval(self.window.ms)
        at = settle_time(env, step, self.window.ms, self.for_.ms)
        # The firing gauge is `now` at the last evaluation before `for` starts counting and
        # moves on towards t, so every evaluation of `for` forecasts a crossing too; the quiet
        # one is `now` at the eval time.
        grid = math.lcm(step, env.evaluation_interval_ms)
        anchor = {True: (at - self.for_.ms) // grid * grid // step, False: at // step}
        sign = Decimal(1) if op == "<" else Decimal(-1)  # the gauge starts above (<) or below (>)
        # Current value: a whole number at least 10 samples' worth of horizon from t.
        ratio = Decimal(self.horizon.ms) / step  # samples per horizon
        now = Decimal(math.ceil(t + sign * 10 * ratio)) if sign > 0 else Decimal(math.floor(t + sign * 10 * ratio))
        distance = abs(now - t)
        word = "below" if op == "<" else "above"

        def scenario(per_sample: int, fires: bool) -> Group | None:
            start = now + sign * per_sample * anchor[fires]
            segs = (Segment(start, -sign * per_sample, steps(at, step)),)
            series = make_series(sel.name, labels, *segs)
            value = predict_linear(samples(segs), step, at, self.window.ms, float(self.horizon.seconds), env.promql_version)
            # Near 2^64 a whole step per sample is below float64's resolution: the series
            # Prometheus loads does not move as the Decimal plan says.
            crosses = value is not None and (value < float(t) if op == "<" else value > float(t))
            if crosses != fires:
                env.notes.append(
                    f"{self.name}: {'firing' if fires else 'quiet'} case not generated: in float64 the forecast is {value!r}, "
                    f"{'not ' if fires else ''}{word} {fmt_number(t)} (a change of {per_sample} per sample at {fmt_number(now)} "
                    "is lost in rounding)"
                )
                return None
            check = firing_check(rule, at, out, value, env) if fires else Check(at)
            verb = "fires" if fires else "stays quiet"
            return Group(
                f"{self.name}: {verb} at {fmt_number(now)} moving {per_sample} per {fmt_number(Decimal(step) / 1000)}s "
                f"(forecast in {self.horizon} {word} {fmt_number(t)}: {'yes' if fires else 'no'})",
                self.name,
                step,
                (series,),
                (check,),
            )

        def build(firing: bool) -> Iterator[Group]:
            crossing = distance / ratio  # per-sample change that reaches t exactly at the horizon
            # An eval time between samples extrapolates the line from there, not from the last
            # sample: the quiet gauge must also stay clear over that extra lead.
            lead = Decimal(self.horizon.ms + at % step) / step
            cases = [(math.floor(crossing * Decimal("1.1")) + 1, True)] if firing else []
            for per_sample, fires in (*cases, (math.floor(distance / lead * Decimal("0.9")), False)):
                group = scenario(per_sample, fires)
                if group is not None:
                    yield group

        return safe_groups(env, self, build)

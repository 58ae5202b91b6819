"""`threshold`: a gauge (or a counter's rate) above or below a number."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, Threshold, compare, scoped
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    constant,
    counter,
    firing_check,
    grouped,
    make_series,
    not_over,
    not_under,
    over,
    safe_groups,
    settle_time,
    series_interval,
    solve_labels,
    under,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.promql import gauge, rate, samples
from sfmon.semantics.units import Number, PositiveDuration, fmt_number


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

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"metric": scoped(self.metric, self.target)}

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above) if self.above is not None else ("<", self.below)  # type: ignore[return-value]

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """One series 10% past the threshold (fires after `for`) and 10% short of it (quiet);
        for a counter (`window`), the per-second rate is what crosses."""
        rule = self.alert_rule()
        sel = SeriesSelector.parse(scoped(self.metric, self.target))
        labels = solve_labels(env.target_labels(self.target), sel, present=self.by)
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.metric}; no tests generated")
            return []
        windowed = self.window is not None
        step = series_interval(self.window.ms) if self.window is not None else env.evaluation_interval_ms
        at = settle_time(env, step, self.window.ms if self.window is not None else 0, self.for_.ms)
        op, t = self.threshold()
        out = grouped(labels, self.by)

        def scenario(v: Decimal, fires: bool) -> Group:
            seg = counter(v * step / 1000, at, step) if windowed else constant(v, at, step)
            series = make_series(sel.name, labels, seg)
            check = Check(at)
            if fires:
                xs = samples(series.segments)
                value = rate(xs, step, at, self.window.ms, prom3=env.prom3) if self.window is not None else gauge(xs, step, at)
                check = firing_check(rule, at, out, value)
            verb = "fires" if fires else "stays quiet"
            what = f"{self.aggregate} rate" if windowed else self.aggregate
            word = "above" if op == ">" else "below"
            return Group(
                f"{self.name}: {verb} at {what} {fmt_number(v)} ({word} {fmt_number(t)})",
                self.name,
                step,
                (series,),
                (check,),
            )

        def build(firing: bool):
            cases = ((over(t), True), (not_over(t), False)) if op == ">" else ((under(t), True), (not_under(t), False))
            for v, fires in cases:
                if v is not None and (firing or not fires):
                    yield scenario(v, fires)

        return safe_groups(env, self, build)

"""`threshold`: a gauge (or a counter's rate) above or below a number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal, Mapping

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sfmon.kinds.base import By, Level, Selector, Threshold, compare, kept, scoped
from sfmon.kinds.tiers import NumberTier, Tiered
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    constant,
    counter,
    level_check,
    limits,
    make_series,
    neighboured,
    safe_groups,
    settle_time,
    series_interval,
    solve_labels,
    tier_values,
    verdict,
    windowed,
)
from sfmon.model.base import FieldError, Slug
from sfmon.semantics import names
from sfmon.semantics.promql import gauge, rate, samples
from sfmon.semantics.units import PositiveDuration, SignedNumber, fmt_number


class GaugeThreshold(Tiered, Threshold):
    kind: Literal["threshold"]
    target: Slug
    metric: Selector
    window: PositiveDuration | None = Field(default=None, description="set for counters: compare rate(metric[window])")
    aggregate: Literal["sum", "max", "min", "avg"] = Field(default="max", description="with `by`: how the series of a group combine")
    above: SignedNumber | None = Field(default=None, description="may be negative for a gauge (a temperature, a clock offset)")
    below: SignedNumber | None = Field(default=None, description="may be negative for a gauge (a temperature, a clock offset)")
    tiers: list[NumberTier] | None = Field(default=None, description="several severities, each with its threshold (instead of severity and above/below)")
    by: By = Field(default=None, description="labels to aggregate by (narrows the alert); default: no aggregation, every series compared on its own")
    DIRECTIONS: ClassVar[tuple[str, ...]] = ("above", "below")

    @field_validator("above", "below")
    @classmethod
    def _sign(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if info.data.get("window") is not None and value is not None and value < 0:
            raise ValueError("a counter's rate is never negative: a negative threshold needs a gauge (no `window`)")
        return value

    @model_validator(mode="after")
    def _aggregate_needs_by(self) -> "GaugeThreshold":
        if "aggregate" in self.model_fields_set and self.by is None:
            raise FieldError(("aggregate",), "aggregate needs `by`: without it every series is compared on its own")
        return self

    def expr(self, level: Level | None = None) -> str:
        inner = scoped(self.metric, self.target)
        if self.window is not None:
            inner = f"rate({inner}[{self.window}])"
        lv = level or self.levels()[0]
        if self.by is not None:
            inner = f"{self.aggregate} by ({', '.join(map(names.label, self.by))}) ({inner})"
        return f"{inner} {compare(lv.op, lv.value)}"  # type: ignore[arg-type]

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr(lv), lv) for lv in self.levels()]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"metric": scoped(self.metric, self.target)}

    def limit(self, src: Any) -> tuple[str, Decimal]:
        return (">", src.above) if src.above is not None else ("<", src.below)

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, self.by, ())

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """One series 10% past each threshold (fires after `for`) and 10% short of it (quiet;
        with tiers, between two thresholds only the lower tier fires); for a counter
        (`window`), the per-second rate is what crosses. The first firing case has a series
        of another instance short of the threshold next to it, which stays quiet."""
        rules = self.alert_rules()
        levels = self.levels()
        sel = SeriesSelector.parse(scoped(self.metric, self.target))
        labels = solve_labels(env.target_labels(self.target, sel.name), sel, present=self.by or ())
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.metric}; no tests generated")
            return []
        has_window = self.window is not None
        step = series_interval(self.window.ms) if self.window is not None else env.evaluation_interval_ms
        at = settle_time(env, step, self.window.ms if self.window is not None else 0, self.longest_for_ms())
        op = levels[0].op
        out = kept(labels, self.by, ())
        if self.by is None and not has_window:
            out = {"__name__": sel.name, **out}  # a filter keeps the metric name: $labels has it

        def scenario(v: Decimal, n: int) -> Group:
            seg = counter(v * step / 1000, at, step) if has_window else constant(v, at, step)
            series = make_series(sel.name, labels, seg)
            check = Check(at)
            if n:
                xs = samples(series.segments)
                value = windowed(rate(xs, step, at, self.window.ms, version=env.promql_version), self.window) if self.window is not None else gauge(xs, step, at)
                check = level_check(rules, n, at, out, value, env)
            what = "rate" if has_window and self.by is None else f"{self.aggregate} rate" if has_window else "value" if self.by is None else self.aggregate
            word = "above" if op == ">" else "below"
            return Group(
                f"{self.name}: {verdict(levels, n)} at {what} {fmt_number(v)} ({limits(levels, f'{word} {fmt_number(levels[0].value)}')})",
                self.name,
                step,
                (series,),
                (check,),
            )

        def build(firing: bool):
            for v, n in tier_values(levels):
                if v is not None and (firing or not n):
                    yield scenario(v, n)

        groups = safe_groups(env, self, build)
        return neighboured(groups, "instance" in out, env.other_instance(self.target))

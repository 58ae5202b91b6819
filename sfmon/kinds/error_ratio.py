"""`error_ratio`: failed requests as a share of all requests, over a rate window."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
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
    integer_ratio,
    make_series,
    not_over,
    over,
    percent,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.promql import rate, samples
from sfmon.semantics.units import PercentStr, PositiveDuration


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

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"errors": scoped(self.errors, self.target), "total": scoped(self.total, self.target)}

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above.fraction)

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """An error share 10% over the threshold fires after `for`; 10% under stays quiet."""
        rule = self.alert_rule()
        errors = SeriesSelector.parse(scoped(self.errors, self.target))
        total = SeriesSelector.parse(scoped(self.total, self.target))
        base = env.target_labels(self.target)
        err_labels = solve_labels(base, errors, present=self.by)
        if err_labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.errors}; no tests generated")
            return []
        shared = total.matches(errors.name, err_labels)  # errors are part of the total (same metric)
        if shared:
            rest = solve_labels(err_labels, total, avoid=[errors], present=self.by, keep=self.by)
            rest_name = total.name
        else:
            rest = solve_labels(base, total, avoid=[errors], present=self.by)
            rest_name = total.name
        if rest is None or grouped(rest, self.by) != grouped(err_labels, self.by):
            env.notes.append(f"{self.name}: no series separate errors from other requests within one group; no tests generated")
            return []
        step = series_interval(self.window.ms)
        at = settle_time(env, step, self.window.ms, self.for_.ms)
        t = self.above.fraction
        out = grouped(err_labels, self.by)

        def scenario(share: Decimal, fires: bool, firing: bool) -> Group | None:
            if fires and not firing:
                return None
            pq = integer_ratio(Fraction(share), Fraction(1) - Fraction(share) if shared else Fraction(1))
            if pq is None:
                return None
            e, r = pq
            err_series = make_series(errors.name, err_labels, counter(e, at, step))
            rest_series = make_series(rest_name, rest, counter(r, at, step))
            check = Check(at)
            if fires:
                ev = rate(samples(err_series.segments), step, at, self.window.ms, prom3=env.prom3)
                rv = rate(samples(rest_series.segments), step, at, self.window.ms, prom3=env.prom3)
                den = ev + rv if shared else rv
                check = firing_check(rule, at, out, ev / den)
            verb = "fires" if fires else "stays quiet"
            return Group(
                f"{self.name}: {verb} at {percent(share)} errors (above {self.above})",
                self.name,
                step,
                (err_series, rest_series),
                (check,),
            )

        def build(firing: bool):
            hi = over(t, Decimal(1))
            for share, fires in ((hi, True), (not_over(t), False)):
                if share is not None:
                    g = scenario(share, fires, firing)
                    if g is not None:
                        yield g

        return safe_groups(env, self, build)

"""`ratio`: one series over the sum of others (hit ratio, pool usage), above or below a percentage."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, Threshold, compare, scoped
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    Series,
    SeriesSelector,
    TestEnv,
    constant,
    counter,
    firing_check,
    grouped,
    integer_ratio,
    make_series,
    not_over,
    not_under,
    over,
    percent,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
    sort_key,
    under,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.promql import Segment, fsum, gauge, rate, samples
from sfmon.semantics.units import PercentStr, PositiveDuration


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

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {
            "numerator": scoped(self.numerator, self.target),
            "denominator": [scoped(s, self.target) for s in self.denominator],
        }

    def threshold(self) -> tuple[str, Decimal]:
        return (">", self.above.fraction) if self.above is not None else ("<", self.below.fraction)  # type: ignore[union-attr]

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """Series whose ratio is 10% past the threshold (fires after `for`) or 10% short of it
        (stays quiet). One series per distinct selector; the numerator's series gets value p,
        the others q, with p/q solved from how many terms each series appears in."""
        rule = self.alert_rule()
        base = env.target_labels(self.target)
        texts = list(dict.fromkeys([self.numerator, *self.denominator]))
        sels = [SeriesSelector.parse(scoped(t, self.target)) for t in texts]
        labels = []
        for i, sel in enumerate(sels):
            found = solve_labels(base, sel, avoid=[o for j, o in enumerate(sels) if j != i], present=self.by, keep=self.by)
            if found is None:
                env.notes.append(f"{self.name}: no series labels satisfy {texts[i]} alone; no tests generated")
                return []
            labels.append(found)
        if any(grouped(lab, self.by) != grouped(labels[0], self.by) for lab in labels):
            env.notes.append(f"{self.name}: the ratio's series fall into different `by` groups; no tests generated")
            return []
        num_sel = SeriesSelector.parse(scoped(self.numerator, self.target))
        den_sels = [SeriesSelector.parse(scoped(d, self.target)) for d in self.denominator]
        # a[i], b[i]: how often series i counts in the numerator / the denominator sum.
        a = [int(num_sel.matches(s.name, lab)) for s, lab in zip(sels, labels)]
        b = [sum(int(d.matches(s.name, lab)) for d in den_sels) for s, lab in zip(sels, labels)]
        step = series_interval(self.window.ms) if self.window is not None else env.evaluation_interval_ms
        warm = self.window.ms if self.window is not None else 0
        at = settle_time(env, step, warm, self.for_.ms)
        op, t = self.threshold()
        out = grouped(labels[0], self.by)

        def values(r: Decimal) -> tuple[int, int] | None:
            num = Fraction(r) * sum(b[1:]) - sum(a[1:])
            den = a[0] - Fraction(r) * b[0]
            if len(sels) == 1:  # p/p: the ratio is a[0]/b[0] whatever p is
                return (100, 0) if b[0] and Fraction(a[0], b[0]) == Fraction(r) else None
            return integer_ratio(num, den)

        def segment(v: int) -> Segment:
            return counter(v, at, step) if self.window is not None else constant(v, at, step)

        def value_of(series: list[Series]) -> float:
            def term(sel: SeriesSelector) -> float:
                vals = []
                for s in sorted(series, key=lambda s: sort_key(s.name, dict(s.labels))):
                    if sel.matches(s.name, dict(s.labels)):
                        xs = samples(s.segments)
                        v = rate(xs, step, at, self.window.ms, prom3=env.prom3) if self.window is not None else gauge(xs, step, at)
                        vals.append(v)
                return fsum(vals)

            den = term(den_sels[0])
            for d in den_sels[1:]:
                den += term(d)
            num = term(num_sel)
            if den == 0:  # float division as Go does it: x/0 is ±Inf, 0/0 NaN
                return math.copysign(math.inf, num) if num else math.nan
            return num / den

        def scenario(r: Decimal, fires: bool) -> Group | None:
            pq = values(r)
            if pq is None:
                return None
            p, q = pq
            series = [make_series(s.name, lab, segment(p if i == 0 else q)) for i, (s, lab) in enumerate(zip(sels, labels))]
            check = firing_check(rule, at, out, value_of(series)) if fires else Check(at)
            verb = "fires" if fires else "stays quiet"
            word = "above" if op == ">" else "below"
            return Group(
                f"{self.name}: {verb} at {percent(r)} ({word} {self.above or self.below})",
                self.name,
                step,
                tuple(series),
                (check,),
            )

        def build(firing: bool):
            # A share of a whole (every numerator series also in the denominator) cannot pass 100%.
            ceiling = Decimal(1) if all(x <= y for x, y in zip(a, b)) else None
            if op == ">":
                cases = ((over(t, ceiling), True), (not_over(t), False))
            else:
                cases = ((under(t), True), (not_under(t, ceiling), False))
            for r, fires in cases:
                if r is None or (fires and not firing):
                    continue
                g = scenario(r, fires)
                if g is not None:
                    yield g

        return safe_groups(env, self, build)

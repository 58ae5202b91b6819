"""`ratio`: one series over the sum of others (hit ratio, pool usage), above or below a
percentage, or a plain number for a ratio that is not a share (seconds per operation)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, Literal, Mapping

from pydantic import Field

from sfmon.kinds.base import BY_HELP, By, Level, Selector, Threshold, compare, keep_clause, kept, matcher_labels, scoped
from sfmon.kinds.tiers import PercentTier, Tiered
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    Series,
    SeriesSelector,
    TestEnv,
    constant,
    counter,
    integer_ratio,
    level_check,
    limits,
    make_series,
    neighboured,
    percent,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
    sort_key,
    tier_values,
    verdict,
    windowed,
)
from sfmon.model.base import Slug
from sfmon.semantics.promql import Segment, fsum, gauge, rate, samples
from sfmon.semantics.units import PositiveDuration, RatioValue, fmt_number, ratio_fraction


class Ratio(Tiered, Threshold):
    kind: Literal["ratio"]
    target: Slug
    numerator: Selector
    denominator: list[Selector] = Field(min_length=1, description="summed; e.g. [cache_hits_total, cache_misses_total]")
    window: PositiveDuration | None = Field(default=None, description="set for counters: each term becomes rate(...[window])")
    above: RatioValue | None = Field(default=None, description="'5%' of a whole, or a plain number such as 0.25 or 3")
    below: RatioValue | None = Field(default=None, description="'5%' of a whole, or a plain number such as 0.25 or 3")
    tiers: list[PercentTier] | None = Field(default=None, description="several severities, each with its threshold (instead of severity and above/below)")
    by: By = Field(default=None, description=BY_HELP)
    DIRECTIONS: ClassVar[tuple[str, ...]] = ("above", "below")

    def dropped(self) -> list[str]:
        """What the default aggregation sums over: the labels the selectors match on."""
        return matcher_labels(self.numerator, *self.denominator)

    def _term(self, selector: str) -> str:
        inner = scoped(selector, self.target)
        if self.window is not None:
            inner = f"rate({inner}[{self.window}])"
        return f"sum {keep_clause(self.by, self.dropped())} ({inner})"

    def expr(self, level: Level | None = None) -> str:
        den = " + ".join(self._term(s) for s in self.denominator)
        if len(self.denominator) > 1:
            den = f"({den})"
        lv = level or self.levels()[0]
        return f"{self._term(self.numerator)} / {den} {compare(lv.op, lv.value)}"  # type: ignore[arg-type]

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr(lv), lv) for lv in self.levels()]

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, self.by, self.dropped())

    def selectors(self) -> dict[str, str | list[str]]:
        return {
            "numerator": scoped(self.numerator, self.target),
            "denominator": [scoped(s, self.target) for s in self.denominator],
        }

    def limit(self, src: Any) -> tuple[str, Decimal]:
        return (">", ratio_fraction(src.above)) if src.above is not None else ("<", ratio_fraction(src.below))

    def _show(self, r: Decimal) -> str:
        limit = self.above if self.above is not None else self.below
        return fmt_number(r) if isinstance(limit, Decimal) else percent(r)

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """Series whose ratio is 10% past the threshold (fires after `for`) or 10% short of it
        (stays quiet). One series per distinct selector; the numerator's series gets value p,
        the others q, with p/q solved from how many terms each series appears in."""
        rules = self.alert_rules()
        levels = self.levels()
        base = env.target_labels(self.target)
        texts = list(dict.fromkeys([self.numerator, *self.denominator]))
        sels = [SeriesSelector.parse(scoped(t, self.target)) for t in texts]
        dropped = self.dropped()
        # The labels the ratio keeps must be equal on every series of it: never changed to
        # tell one selector's series from another's.
        keep = self.by if self.by is not None else sorted(set(base) - set(dropped))
        labels = []
        for i, sel in enumerate(sels):
            found = solve_labels(base, sel, avoid=[o for j, o in enumerate(sels) if j != i], present=self.by or (), keep=keep)
            if found is None:
                env.notes.append(f"{self.name}: no series labels satisfy {texts[i]} alone; no tests generated")
                return []
            labels.append(found)
        if any(self.identity(lab) != self.identity(labels[0]) for lab in labels):
            env.notes.append(f"{self.name}: the ratio's series fall into different `by` groups; no tests generated")
            return []
        num_sel = SeriesSelector.parse(scoped(self.numerator, self.target))
        den_sels = [SeriesSelector.parse(scoped(d, self.target)) for d in self.denominator]
        # a[i], b[i]: how often series i counts in the numerator / the denominator sum.
        a = [int(num_sel.matches(s.name, lab)) for s, lab in zip(sels, labels)]
        b = [sum(int(d.matches(s.name, lab)) for d in den_sels) for s, lab in zip(sels, labels)]
        step = series_interval(self.window.ms) if self.window is not None else env.evaluation_interval_ms
        warm = self.window.ms if self.window is not None else 0
        at = settle_time(env, step, warm, self.longest_for_ms())
        op = levels[0].op
        out = self.identity(labels[0])

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
                        v = windowed(rate(xs, step, at, self.window.ms, version=env.promql_version), self.window) if self.window is not None else gauge(xs, step, at)
                        vals.append(v)
                return fsum(vals)

            den = term(den_sels[0])
            for d in den_sels[1:]:
                den += term(d)
            num = term(num_sel)
            if den == 0:  # float division as Go does it: x/0 is ±Inf, 0/0 NaN
                return math.copysign(math.inf, num) if num else math.nan
            return num / den

        def scenario(r: Decimal, n: int) -> Group | None:
            pq = values(r)
            if pq is None:
                return None
            p, q = pq
            series = [make_series(s.name, lab, segment(p if i == 0 else q)) for i, (s, lab) in enumerate(zip(sels, labels))]
            check = level_check(rules, n, at, out, value_of(series), env) if n else Check(at)
            return Group(
                f"{self.name}: {verdict(levels, n)} at {self._show(r)} ({limits(levels, levels[0].shown)})",
                self.name,
                step,
                tuple(series),
                (check,),
            )

        def build(firing: bool):
            # A share of a whole (every numerator series also in the denominator) cannot pass 100%.
            ceiling = Decimal(1) if all(x <= y for x, y in zip(a, b)) else None
            for r, n in tier_values(levels, ceiling):
                if r is None or (n and not firing):
                    continue
                g = scenario(r, n)
                if g is not None:
                    yield g

        groups = safe_groups(env, self, build)
        return neighboured(groups, "instance" in out, env.other_instance(self.target))

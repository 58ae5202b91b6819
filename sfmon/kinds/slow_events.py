"""`slow_events`: how many observations of a histogram were slower than a duration in a window."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from sfmon.kinds.base import BY_HELP, By, Level, Selector, compare, keep_clause, kept, matcher_labels, scoped
from sfmon.kinds.tiers import CountTier, Tiered
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    counter,
    level_check,
    limits,
    make_series,
    neighboured,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
    verdict,
    windowed,
)
from sfmon.model.base import FieldError, Slug, promql_string
from sfmon.semantics import regex
from sfmon.semantics.exposition import normalised
from sfmon.semantics.promql import rate, samples
from sfmon.semantics.units import Number, PositiveDuration, fmt_number


class SlowEvents(Tiered):
    kind: Literal["slow_events"]
    target: Slug
    histogram: Selector = Field(description="histogram family, without _bucket; needs a bucket at slower_than")
    unit: Literal["seconds", "milliseconds"] = "seconds"
    slower_than: PositiveDuration
    window: PositiveDuration = Field(default="5m")
    above: Number | None = Field(default=None, description="count of slow events in the window; required unless `tiers` is set")
    tiers: list[CountTier] | None = Field(default=None, description="several severities, each with its threshold (instead of severity and above)")
    by: By = Field(default=None, description=BY_HELP + " (`le` is always summed over)")

    def le(self) -> str:
        return fmt_number(self.slower_than.seconds if self.unit == "seconds" else Decimal(self.slower_than.ms))

    def le_matcher(self) -> str:
        # Go clients write le="1000", Python clients le="1000.0", Prometheus 3 stores
        # "1000.0" whatever was written: match each. From 1e6 (and below 1e-4) all of them
        # write Go's exponent form, "1e+06" (semantics/exposition), so that is matched too.
        le = self.le()
        pattern = le.replace(".", "\\.") + ("(\\.0+)?" if "." not in le else "0*")
        stored = normalised(le)
        if stored is not None and not regex.compile(pattern).fullmatch(stored):
            pattern += "|" + stored.replace(".", "\\.").replace("+", "\\+")
        return f"le=~{promql_string(pattern)}"

    @field_validator("by")
    @classmethod
    def _not_le(cls, by: list[str] | None) -> list[str] | None:
        if by is not None and "le" in by:
            # +Inf and the slower_than bucket differ in le: grouped by it, they never match.
            raise FieldError((by.index("le"),), "`le` is always summed over: the two buckets subtracted differ in it")
        return by

    def dropped(self) -> list[str]:
        """What the default aggregation sums over: `le` and the labels the selector matches on."""
        return sorted({"le", *matcher_labels(self.histogram)})

    def expr(self, level: Level | None = None) -> str:
        keep = keep_clause(self.by, self.dropped())
        lv = level or self.levels()[0]
        all_ = scoped(self.histogram, self.target, "_bucket", ('le="+Inf"',))
        fast = scoped(self.histogram, self.target, "_bucket", (self.le_matcher(),))
        return (
            f"sum {keep} (increase({all_}[{self.window}])) - "
            f"sum {keep} (increase({fast}[{self.window}])) {compare('>', lv.value)}"  # type: ignore[arg-type]
        )

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr(lv), lv) for lv in self.levels()]

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, self.by, self.dropped())

    def selectors(self) -> dict[str, str | list[str]]:
        return {"histogram": scoped(self.histogram, self.target, "_bucket")}

    def limit(self, src: Any) -> tuple[str, Decimal]:
        return (">", src.above)

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """A whole number of slow observations just over `above` in the window (ceil of 110%)
        fires after `for`; just under (floor of 90%) stays quiet. Fast observations keep
        arriving in both, so the +Inf and the `slower_than` bucket differ by the slow ones."""
        rules = self.alert_rules()
        levels = self.levels()
        hist = SeriesSelector.parse(scoped(self.histogram, self.target, "_bucket"))
        labels = solve_labels(env.target_labels(self.target), hist, present=self.by or ())
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.histogram}; no tests generated")
            return []
        fast = 10
        out = self.identity(labels)

        def scenario(count: int, n: int) -> Group:
            step, slow = _pace(count, self.window.ms)
            at = settle_time(env, step, self.window.ms, self.longest_for_ms())
            inf = make_series(hist.name, {**labels, "le": "+Inf"}, counter(fast + slow, at, step))
            le = make_series(hist.name, {**labels, "le": env.bucket_bound(self.le())}, counter(fast, at, step))
            check = Check(at)
            if n:
                inc_inf = windowed(rate(samples(inf.segments), step, at, self.window.ms, is_rate=False, version=env.promql_version), self.window)
                inc_le = windowed(rate(samples(le.segments), step, at, self.window.ms, is_rate=False, version=env.promql_version), self.window)
                check = level_check(rules, n, at, out, inc_inf - inc_le, env)
            return Group(
                f"{self.name}: {verdict(levels, n)} at {count} slower than {self.slower_than} in {self.window} "
                f"({limits(levels, levels[0].shown)})",
                self.name,
                step,
                (inf, le),
                (check,),
            )

        def build(firing: bool):
            for count, n in _counts([lv.value for lv in levels]):  # type: ignore[misc]
                if count is not None and (firing or not n):
                    yield scenario(count, n)

        groups = safe_groups(env, self, build)
        return neighboured(groups, "instance" in out, env.other_instance(self.target))


def _counts(ts: list[Decimal]) -> list[tuple[int | None, int]]:
    """Whole counts to test each threshold with (testgen.tier_values for counts): just over
    it (ceil of 110%) and not over the next, just under it (floor of 90%) and over the one
    before; None where no whole count fits between two tiers."""
    out: list[tuple[int | None, int]] = []
    for k, t in enumerate(ts):
        nxt = ts[k + 1] if k + 1 < len(ts) else None
        prev = ts[k - 1] if k else None
        fire: int | None = max(math.ceil(t * Decimal("1.1")), math.floor(t) + 1)
        if nxt is not None and fire > nxt:  # type: ignore[operator]
            fire = math.floor(t) + 1 if math.floor(t) + 1 <= nxt else None
        quiet: int | None = max(0, min(math.floor(t * Decimal("0.9")), math.ceil(t) - 1))
        if prev is not None and quiet <= prev:  # type: ignore[operator]
            quiet = math.ceil(t) - 1 if math.ceil(t) - 1 > prev else None
        out += [(fire, k + 1), (quiet, k)]
    return out


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

"""`counter_change`: how much a series moved in a window (`increase`, `delta`), or how often
it changed or reset (`changes`, `resets`), above or below a number."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterator, Literal

from pydantic import Field, ValidationInfo, field_validator

from sfmon.kinds.base import AlertBase, OneMetric, Selector, Threshold, aggregated, compare, scoped
from sfmon.kinds.testgen import (
    Check,
    Group,
    TestEnv,
    beyond,
    firing_check,
    make_series,
    safe_groups,
    series_interval,
    settle_time,
    short_of,
    steps,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics.promql import Segment, over_window, samples
from sfmon.semantics.units import PositiveDuration, SignedNumber, fmt_number

MAX_SEGMENTS = 5_000  # a pattern of one change per few samples over a long `for`


class CounterChange(OneMetric, Threshold, AlertBase):
    kind: Literal["counter_change"]
    target: Slug
    metric: Selector
    function: Literal["increase", "delta", "changes", "resets"] = Field(
        default="increase", description="increase (counters), delta (gauges), changes or resets in the window"
    )
    window: PositiveDuration
    above: SignedNumber | None = None
    below: SignedNumber | None = None
    aggregate: Literal["sum", "max", "min", "avg"] = Field(default="sum", description="how `by` combines series")
    by: list[LabelName] | None = Field(default=None, description="aggregate by these labels; unset: each series alone")

    @field_validator("above", "below")
    @classmethod
    def _sign(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        function = info.data.get("function", "increase")
        if function != "delta" and value is not None and value < 0:
            raise ValueError(f"{function}() is never negative: a negative threshold is only meaningful for delta")
        return value

    def inner(self) -> str:
        return f"{self.function}({scoped(self.metric, self.target)}[{self.window}])"

    def expr(self) -> str:
        op, value = self.threshold()
        return f"{aggregated(self.aggregate, self.by, self.inner())} {compare(op, value)}"

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """increase/delta: a steady counter (gauge) moving 10% past the threshold per window
        fires after `for`, 10% short stays quiet. changes/resets: a pattern with one change
        (reset) every p samples, p chosen so every window counts the nearest whole numbers
        on either side of the threshold."""
        rule = self.alert_rule()
        found = self.metric_series(env)
        if found is None:
            return []
        sel, labels, out = found
        op, t = self.threshold()
        counting = self.function in ("changes", "resets")
        w = self.window.ms
        # Counting needs every evaluation on the sample grid: then each window holds the same
        # number of samples, and so of changes.
        step = math.gcd(series_interval(w), env.evaluation_interval_ms) if counting else series_interval(w)
        at = settle_time(env, step, w, self.for_.ms)
        word = "above" if op == ">" else "below"

        def scenario(v: Decimal, segs: tuple[Segment, ...], fires: bool) -> Group:
            series = make_series(sel.name, labels, *segs)
            check = Check(at)
            if fires:
                check = firing_check(rule, at, out, over_window(samples(segs), step, at, w, self.function, env.promql_version), env)
            verb = "fires" if fires else "stays quiet"
            return Group(
                f"{self.name}: {verb} at {self.function} {fmt_number(v)} in {self.window} ({word} {fmt_number(t)})",
                self.name,
                step,
                (series,),
                (check,),
            )

        def moved(v: Decimal) -> tuple[Segment, ...]:
            return (Segment(Decimal(0), v * step / w, steps(at, step)),)

        def build(firing: bool) -> Iterator[Group]:
            if counting:
                cases = _counts(op, t, w // step, self.for_.ms > 0 and env.prom3)
            else:
                cases = [(beyond(op, t), True), (short_of(op, t), False)]
                if self.function == "increase":  # a counter never moves backwards
                    cases = [(v if fires or v >= 0 else Decimal(0), fires) for v, fires in cases if v >= 0 or not fires]
            for v, fires in cases:
                if v is None and fires and firing:
                    env.notes.append(
                        f"{self.name}: no whole number of {self.function} {word} {fmt_number(t)} fits a {self.window} window "
                        f"of {w // step} samples; firing case not generated"
                    )
                if v is None or (fires and not firing):
                    continue
                if counting:
                    try:
                        segs = _pattern(self.function, int(v), w // step, steps(at, step) + 1, at // step)
                    except _TooLong as exc:
                        env.notes.append(f"{self.name}: a {self.function} pattern of {exc.args[0]:,} segments is too long; case left out")
                        continue
                else:
                    segs = moved(v)
                yield scenario(v, segs, fires)

        return safe_groups(env, self, build)


def _counts(op: str, t: Decimal, n: int, held: bool) -> list[tuple[Decimal | None, bool]]:
    """(count, fires) on either side of `t` among the counts a window of n intervals can hold
    exactly: n/p for each period p dividing n, and 0. 2.x's closed window holds n intervals;
    3.x's left-open one n - 1, so it counts one fewer whenever a change sits on the window's
    start. The pattern's phase (`_pattern`) keeps the checked evaluation off that case, so both
    lines predict the same value there; `held` (a `for`, on a 3.x target): the evaluations
    before it count too, so a firing count must stay beyond `t` with one change fewer (2.x
    targets keep the tightest count, which a threshold one off fails)."""
    possible = sorted({0, *(n // p for p in range(1, n + 1) if n % p == 0)})
    if op == ">":
        fire = next((c for c in possible if c - (1 if held else 0) > t), None)
        quiet = max((c for c in possible if c <= t), default=None)
    else:
        fire = max((c for c in possible if c < t), default=None)
        # every sample changing (c == n): 3.x always counts n - 1
        quiet = next((c for c in possible if c >= t and (c < n or c - 1 >= t)), None)
    return [(None if c is None else Decimal(c), fires) for c, fires in ((fire, True), (quiet, False))]


class _TooLong(Exception):
    """A pattern of more than MAX_SEGMENTS segments (args[0]: how many)."""


def _pattern(function: str, count: int, n: int, total: int, check: int = 0) -> tuple[Segment, ...]:
    """`total` samples with exactly `count` changes (resets) in every run of n intervals, the
    changes at the sample indexes congruent to `check` (the checked evaluation's index) modulo
    the period: then the sample on the checked window's start (index check - n) follows no
    change, and 2.x and 3.x count the same there."""
    if count == 0:
        return (Segment(Decimal(1), Decimal(0), total - 1),)
    p = n // count
    if p == 1:  # every sample: a counter (changes) or a countdown (resets)
        if function == "changes":
            return (Segment(Decimal(0), Decimal(1), total - 1),)
        return (Segment(Decimal(total), Decimal(-1), total - 1),)
    first = check % p or p  # samples before the first change
    periods = -(-(total - first) // p)
    if periods + 1 > MAX_SEGMENTS:  # before building them: an interval of centuries made millions
        raise _TooLong(periods + 1)
    if function == "changes":  # p equal samples, then the other value
        return (Segment(Decimal(0), Decimal(0), first - 1), *(Segment(Decimal((i + 1) % 2), Decimal(0), p - 1) for i in range(periods)))
    # 1..p, then back to 1; the first run ends at p as every other does
    return (Segment(Decimal(p - first + 1), Decimal(1), first - 1), *(Segment(Decimal(1), Decimal(1), p - 1) for _ in range(periods)))

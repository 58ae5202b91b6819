"""`count`: how many series a selector has, above or below a number (`count(up == 1) < 3`
for replicas; here the series of one selector, e.g. a recording rule's or an `info` metric's).

Unset `by` counts per series identity without `instance` (the instances of a target are
what is counted); `by` counts per the labels given.
"""

from __future__ import annotations

import math
from typing import Iterator, Literal, Mapping

from pydantic import Field

from sfmon.kinds.base import AlertBase, OneMetric, Selector, Threshold, compare, kept, scoped
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    constant,
    firing_check,
    grouped,
    make_series,
    safe_groups,
    settle_time,
    solve_labels,
)
from sfmon.model.base import LabelName, Slug
from sfmon.semantics import names
from sfmon.semantics.units import Number, fmt_number

MAX_SERIES = 1_000  # series written for one generated case


class Count(OneMetric, Threshold, AlertBase):
    kind: Literal["count"]
    target: Slug
    metric: Selector
    above: Number | None = None
    below: Number | None = None
    by: list[LabelName] | None = Field(default=None, description="count per these labels; unset: per series without instance")

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, self.by, ("instance",))  # `count without (instance)` unless `by`

    def expr(self) -> str:
        op, value = self.threshold()
        grouping = "without (instance)" if self.by is None else f"by ({', '.join(map(names.label, self.by))})"
        return f"count {grouping} ({scoped(self.metric, self.target)}) {compare(op, value)}"

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """The nearest whole counts on either side of the threshold, as that many series that
        differ in one label outside the count's grouping (instance, unless `by` keeps it).
        A count of 0 is no series at all, and so no output: `below: 1` cannot fire."""
        rule = self.alert_rule()
        sel = SeriesSelector.parse(scoped(self.metric, self.target))
        constrained = {m.name for m in sel.matchers}
        choices = ["instance"] if self.by is None else ["instance", "replica", "id"]
        vary = next((n for n in choices if n not in (self.by or []) and n not in constrained), None)
        labels = solve_labels(env.target_labels(self.target), sel, present=self.by or [])
        if labels is None or vary is None:
            env.notes.append(f"{self.name}: no series of {self.metric} that differ outside the count's grouping; no tests generated")
            return []
        out = {k: v for k, v in labels.items() if k != "instance"} if self.by is None else grouped(labels, self.by)
        op, t = self.threshold()
        step = env.evaluation_interval_ms
        at = settle_time(env, step, 0, self.for_.ms)
        word = "above" if op == ">" else "below"
        if op == ">":
            cases = ((math.floor(t) + 1, True), (math.floor(t), False))
        else:
            cases = ((math.ceil(t) - 1, True), (math.ceil(t), False))

        def build(firing: bool) -> Iterator[Group]:
            for n, fires in cases:
                if (fires and (not firing or n < 1)) or n < 0:
                    continue
                if n > MAX_SERIES:
                    env.notes.append(f"{self.name}: a case needs {n:,} series (at most {MAX_SERIES:,}); left out")
                    continue
                series = tuple(make_series(sel.name, {**labels, vary: f"{vary}-{i + 1}"}, constant(1, at, step)) for i in range(n))
                check = firing_check(rule, at, out, float(n), env) if fires else Check(at)
                verb = "fires" if fires else "stays quiet"
                yield Group(f"{self.name}: {verb} at {n} series ({word} {fmt_number(t)})", self.name, step, series, (check,))

        return safe_groups(env, self, build)

"""`state`: a state gauge equal (or not equal) to a value: `pg_up == 0`, `raid_ok != 1`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator, Literal

from pydantic import model_validator

from sfmon.kinds.base import AlertBase, OneMetric, Selector, scoped
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    constant,
    firing_check,
    make_series,
    safe_groups,
    settle_time,
    solve_labels,
)
from sfmon.model.base import Slug
from sfmon.semantics.units import SignedNumber, fmt_number


class State(OneMetric, AlertBase):
    kind: Literal["state"]
    target: Slug
    metric: Selector
    equals: SignedNumber | None = None
    not_equals: SignedNumber | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> Any:
        if (self.equals is None) == (self.not_equals is None):
            raise ValueError("set exactly one of 'equals' or 'not_equals'")
        return self

    def comparison(self) -> tuple[str, Decimal]:
        return ("==", self.equals) if self.equals is not None else ("!=", self.not_equals)  # type: ignore[return-value]

    def expr(self) -> str:
        op, value = self.comparison()
        return f"{scoped(self.metric, self.target)} {op} {fmt_number(value)}"

    def threshold(self) -> tuple[str, Decimal]:
        return self.comparison()

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """The gauge in the alerting state (the value, or another one for not_equals) fires
        after `for`; in the other state it stays quiet. A comparison keeps the metric name."""
        rule = self.alert_rule()
        sel = SeriesSelector.parse(scoped(self.metric, self.target))
        labels = solve_labels(env.target_labels(self.target), sel)
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.metric}; no tests generated")
            return []
        op, v = self.comparison()
        other = Decimal(1) if v == 0 else Decimal(0)
        bad, good = (v, other) if op == "==" else (other, v)
        step = env.evaluation_interval_ms
        at = settle_time(env, step, 0, self.for_.ms)
        out = {"__name__": sel.name, **labels}

        def build(firing: bool) -> Iterator[Group]:
            for value, fires in ((bad, True), (good, False)):
                if fires and not firing:
                    continue
                series = make_series(sel.name, labels, constant(value, at, step))
                check = firing_check(rule, at, out, float(value), env) if fires else Check(at)
                verb = "fires" if fires else "stays quiet"
                yield Group(f"{self.name}: {verb} at {fmt_number(value)}", self.name, step, (series,), (check,))

        return safe_groups(env, self, build)

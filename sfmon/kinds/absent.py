"""`absent`: no series of a selector (`absent(x)`), or none in a window (`absent_over_time(x[w])`).

The alert's labels are what Prometheus derives from the selector: each label with exactly
one equality matcher (a second matcher on the same label, or a regex, drops it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator, Literal, Mapping

from pydantic import Field

from sfmon.kinds.base import AlertBase, Selector, scoped
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    ceil_to,
    constant,
    firing_check,
    make_series,
    safe_groups,
    solve_labels,
)
from sfmon.model.base import Slug
from sfmon.semantics.units import PositiveDuration
from sfmon.semantics.promql import Segment

LOOKBACK_MS = 300_000  # how long an instant selector still sees a series' last sample


def absent_labels(selector: str) -> dict[str, str]:
    """promql/functions.go createLabelsForAbsentFunction (2.42)."""
    import promql_parser

    ast = promql_parser.parse(selector)
    out: dict[str, str] = {}
    seen: set[str] = set()
    for m in ast.matchers.matchers:
        if m.name == "__name__":
            continue
        if str(m.op) == "MatchOp.Equal" and m.name not in seen:
            seen.add(m.name)
            if m.value:  # labels.Builder.Set with "" deletes
                out[m.name] = m.value
            else:
                out.pop(m.name, None)
        else:
            out.pop(m.name, None)
    return out


class Absent(AlertBase):
    kind: Literal["absent"]
    target: Slug
    metric: Selector
    window: PositiveDuration | None = Field(
        default=None, description="set: absent_over_time(metric[window]), no sample in the window; unset: absent(metric)"
    )

    def scoped_metric(self) -> str:
        return scoped(self.metric, self.target)

    def expr(self) -> str:
        if self.window is None:
            return f"absent({self.scoped_metric()})"
        return f"absent_over_time({self.scoped_metric()}[{self.window}])"

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"metric": self.scoped_metric()}

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        """absent() has no series to keep labels of: only its selector's equality matchers."""
        return absent_labels(self.scoped_metric())

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """A series that stops: quiet while it reports, firing once no sample is left in the
        window (the 5m lookback for `absent`) and `for` has passed; and a series that keeps
        reporting stays quiet. A selector no series can satisfy gets the firing case only."""
        rule = self.alert_rule()
        sel = SeriesSelector.parse(self.scoped_metric())
        labels = solve_labels(env.target_labels(self.target), sel)
        step = env.evaluation_interval_ms
        last = 2 * step  # samples at 0, step, 2 step, then none
        gap = self.window.ms if self.window is not None else LOOKBACK_MS
        first_true = ceil_to(last + gap + 1, step)
        at = ceil_to(first_true + self.for_.ms, step)
        out = absent_labels(self.scoped_metric())
        gone = f"{self.window} without a sample" if self.window is not None else "gone"

        def build(firing: bool) -> Iterator[Group]:
            if labels is None:  # e.g. x{env="a",env="b"}: no series can match, so it always fires
                if firing:
                    yield Group(f"{self.name}: fires, as no series can match {self.metric}", self.name, step, (), (firing_check(rule, at, out, 1.0, env),))
                return
            if firing:
                stops = make_series(sel.name, labels, Segment(Decimal(1), Decimal(0), 2))
                yield Group(
                    f"{self.name}: quiet while {sel.name} reports, fires once it is {gone}",
                    self.name,
                    step,
                    (stops,),
                    (Check(last), firing_check(rule, at, out, 1.0, env)),
                )
            yield Group(
                f"{self.name}: stays quiet while {sel.name} reports",
                self.name,
                step,
                (make_series(sel.name, labels, constant(1, at, step)),),
                (Check(at),),
            )

        return safe_groups(env, self, build)

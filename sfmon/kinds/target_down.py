"""`target_down`: the target's up-style metric is 0 (scrape failed, or the exporter says its backend is down)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Mapping

from sfmon.kinds.base import AlertBase, kept
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import Check, Group, TestEnv, constant, firing_check, make_series, safe_groups, settle_time, steps
from sfmon.semantics import names
from sfmon.model.base import MetricName, Slug, promql_string
from sfmon.semantics.promql import Segment


class TargetDown(AlertBase):
    kind: Literal["target_down"]
    target: Slug
    metric: MetricName = "up"

    def expr(self) -> str:
        return f"{self._selector()} == 0"

    def _selector(self) -> str:
        return names.selector(self.metric, [f"job={promql_string(self.target)}"])

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"metric": self._selector()}

    def threshold(self) -> tuple[str, Decimal]:
        return ("==", Decimal(0))

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, None, ())  # a filter: the series' labels as they are

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """Fires once the metric has been 0 for `for`, resolves when it is back at 1; stays quiet
        while up, and while down for less than `for`."""
        rule = self.alert_rule()
        step = env.evaluation_interval_ms
        labels = env.target_labels(self.target)
        fire_at = settle_time(env, step, 0, self.for_.ms)
        n = steps(fire_at, step)
        out = {"__name__": self.metric, **labels}
        w = f"{self.metric} is 0"
        held = f"{w} for {self.for_}" if self.for_.ms else w

        keep = env.keep_firing_for_ms

        def build(firing: bool):
            if firing:
                back = fire_at // step  # samples 0..fire_at are 0, then 1
                # Back at 1 from fire_at + step: keep_firing_for holds the alert until then + keep.
                checks = [firing_check(rule, fire_at, out, 0.0, env)]
                if keep >= step:
                    checks.append(firing_check(rule, fire_at + keep, out, 0.0, env))
                checks.append(Check(fire_at + keep + 2 * step))
                after = f"keeps firing {self.keep_firing_for} after it is 1 again, then resolves" if keep else "resolves when it is 1 again"
                yield Group(
                    f"{self.name}: fires when {held}, {after}",
                    self.name,
                    step,
                    (make_series(self.metric, labels, Segment(Decimal(0), Decimal(0), back), constant(1, fire_at + keep, step)),),
                    tuple(checks),
                )
            yield Group(
                f"{self.name}: stays quiet while {self.metric} is 1",
                self.name,
                step,
                (make_series(self.metric, labels, Segment(Decimal(1), Decimal(0), n)),),
                (Check(fire_at),),
            )
            if self.for_.ms >= 2 * step:
                # Up for three samples, then down for one sample less than `for`.
                down_at = 3 * step
                yield Group(
                    f"{self.name}: stays quiet when {w} for less than {self.for_}",
                    self.name,
                    step,
                    (make_series(self.metric, labels, Segment(Decimal(1), Decimal(0), 2), constant(0, fire_at, step)),),
                    (Check(down_at + self.for_.ms - step),),
                )

        return safe_groups(env, self, build)

"""`error_ratio`: failed requests as a share of all requests, over a rate window."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Mapping

from pydantic import Field

from sfmon.kinds.base import BY_HELP, By, Level, Selector, compare, keep_clause, kept, matcher_labels, scoped
from sfmon.kinds.tiers import PercentAboveTier, ShareStr, Tiered
from sfmon.kinds.rule import Rule
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
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
    tier_values,
    verdict,
    windowed,
)
from sfmon.model.base import Slug
from sfmon.semantics.promql import rate, samples
from sfmon.semantics.units import PositiveDuration


class ErrorRatio(Tiered):
    kind: Literal["error_ratio"]
    target: Slug
    errors: Selector = Field(description='counter selector of failed requests, e.g. http_requests_total{status=~"5.."}')
    total: Selector = Field(description="counter selector of all requests")
    window: PositiveDuration = Field(default="5m")
    above: ShareStr | None = Field(default=None, description="required unless `tiers` is set")
    tiers: list[PercentAboveTier] | None = Field(default=None, description="several severities, each with its threshold (instead of severity and above)")
    by: By = Field(default=None, description=BY_HELP)

    def dropped(self) -> list[str]:
        """What the default aggregation sums over: the labels the selectors match on (status)."""
        return matcher_labels(self.errors, self.total)

    def expr(self, level: Level | None = None) -> str:
        keep = keep_clause(self.by, self.dropped())
        err = scoped(self.errors, self.target)
        tot = scoped(self.total, self.target)
        lv = level or self.levels()[0]
        return (
            f"sum {keep} (rate({err}[{self.window}])) / "
            f"sum {keep} (rate({tot}[{self.window}])) {compare('>', lv.value)}"  # type: ignore[arg-type]
        )

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr(lv), lv) for lv in self.levels()]

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, self.by, self.dropped())

    def selectors(self) -> dict[str, str | list[str]]:
        return {"errors": scoped(self.errors, self.target), "total": scoped(self.total, self.target)}

    def limit(self, src: Any) -> tuple[str, Decimal]:
        return (">", src.above.fraction)

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """An error share 10% over the threshold fires after `for`; 10% under stays quiet."""
        rules = self.alert_rules()
        levels = self.levels()
        errors = SeriesSelector.parse(scoped(self.errors, self.target))
        total = SeriesSelector.parse(scoped(self.total, self.target))
        base = env.target_labels(self.target)
        present = self.by or ()
        err_labels = solve_labels(base, errors, present=present)
        if err_labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.errors}; no tests generated")
            return []
        # The labels the ratio keeps must be equal on both series: never changed to tell them apart.
        keep = self.by if self.by is not None else sorted(set(err_labels) - set(self.dropped()))
        shared = total.matches(errors.name, err_labels)  # errors are part of the total (same metric)
        if shared:
            rest = solve_labels(err_labels, total, avoid=[errors], present=present, keep=keep)
            rest_name = total.name
        else:
            rest = solve_labels(base, total, avoid=[errors], present=present)
            rest_name = total.name
        if rest is None or self.identity(rest) != self.identity(err_labels):
            env.notes.append(f"{self.name}: no series separate errors from other requests within one group; no tests generated")
            return []
        step = series_interval(self.window.ms)
        at = settle_time(env, step, self.window.ms, self.longest_for_ms())
        out = self.identity(err_labels)

        def scenario(share: Decimal, n: int, firing: bool) -> Group | None:
            if n and not firing:
                return None
            pq = integer_ratio(Fraction(share), Fraction(1) - Fraction(share) if shared else Fraction(1))
            if pq is None:
                return None
            e, r = pq
            err_series = make_series(errors.name, err_labels, counter(e, at, step))
            rest_series = make_series(rest_name, rest, counter(r, at, step))
            check = Check(at)
            if n:
                ev = windowed(rate(samples(err_series.segments), step, at, self.window.ms, version=env.promql_version), self.window)
                rv = windowed(rate(samples(rest_series.segments), step, at, self.window.ms, version=env.promql_version), self.window)
                den = ev + rv if shared else rv
                check = level_check(rules, n, at, out, ev / den, env)
            return Group(
                f"{self.name}: {verdict(levels, n)} at {percent(share)} errors ({limits(levels, levels[0].shown)})",
                self.name,
                step,
                (err_series, rest_series),
                (check,),
            )

        def build(firing: bool):
            for share, n in tier_values(levels, Decimal(1)):
                if share is not None:
                    g = scenario(share, n, firing)
                    if g is not None:
                        yield g

        groups = safe_groups(env, self, build)
        return neighboured(groups, "instance" in out, env.other_instance(self.target))

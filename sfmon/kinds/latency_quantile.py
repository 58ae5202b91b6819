"""`latency_quantile`: a histogram quantile (p95 by default) above a duration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from sfmon.kinds.base import BY_HELP, By, Level, Selector, compare, keep_clause, kept, matcher_labels, scoped
from sfmon.kinds.tiers import DurationTier, Tiered
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
    tier_values,
    verdict,
    windowed,
)
from sfmon.model.base import Slug
from sfmon.semantics.promql import bucket_quantile, rate, samples
from sfmon.semantics.units import PositiveDuration, fmt_number
from sfmon.semantics.units import Number


class LatencyQuantile(Tiered):
    kind: Literal["latency_quantile"]
    target: Slug
    histogram: Selector = Field(description="histogram family, without _bucket")
    unit: Literal["seconds", "milliseconds"] = "seconds"
    quantile: Number = Field(default=Decimal("0.95"))
    window: PositiveDuration = Field(default="5m")
    above: PositiveDuration | None = Field(default=None, description="required unless `tiers` is set")
    tiers: list[DurationTier] | None = Field(default=None, description="several severities, each with its threshold (instead of severity and above)")
    by: By = Field(default=None, description=BY_HELP + " (`le` is kept for histogram_quantile)")

    @field_validator("quantile")
    @classmethod
    def _open_unit_interval(cls, q: Decimal) -> Decimal:
        if not 0 < q < 1:
            raise ValueError(f"must be between 0 and 1 (exclusive), got {q}")
        return q

    def limit(self, src: Any) -> tuple[str, Decimal]:
        """The threshold in the histogram's own unit."""
        return (">", src.above.seconds if self.unit == "seconds" else Decimal(src.above.ms))

    def dropped(self) -> list[str]:
        """What the default aggregation sums over: the labels the selector matches on (not `le`)."""
        return [n for n in matcher_labels(self.histogram) if n != "le"]

    def expr(self, level: Level | None = None) -> str:
        from sfmon.semantics.units import fmt_number

        keep = keep_clause([*(b for b in self.by if b != "le"), "le"] if self.by is not None else None, self.dropped())
        bucket = scoped(self.histogram, self.target, "_bucket")
        lv = level or self.levels()[0]
        return (
            f"histogram_quantile({fmt_number(self.quantile)},"
            f" sum {keep} (rate({bucket}[{self.window}]))) {compare('>', lv.value)}"  # type: ignore[arg-type]
        )

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr(lv), lv) for lv in self.levels()]

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        return kept(labels, self.by, [*self.dropped(), "le"])

    def selectors(self) -> dict[str, str | list[str]]:
        return {"histogram": scoped(self.histogram, self.target, "_bucket")}

    def rule_tests(self, env: TestEnv) -> list[Group]:
        """Observations placed so the quantile is 10% over the limit (fires after `for`) or 10%
        under it (stays quiet). All observations sit in one bucket (lo, hi] with lo chosen so
        that linear interpolation lands exactly on the target: lo + (hi - lo) * q."""
        rules = self.alert_rules()
        levels = self.levels()
        hist = SeriesSelector.parse(scoped(self.histogram, self.target, "_bucket"))
        labels = solve_labels(env.target_labels(self.target), hist, present=self.by or ())
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.histogram}; no tests generated")
            return []
        step = series_interval(self.window.ms)
        at = settle_time(env, step, self.window.ms, self.longest_for_ms())
        out = self.identity(labels)
        unit = "s" if self.unit == "seconds" else "ms"

        def scenario(target: Decimal, n: int, limit: Decimal) -> Group:
            width = limit / 10
            lo = target - self.quantile * width
            hi = lo + width
            per_step = 10
            series = tuple(
                make_series(hist.name, {**labels, "le": env.bucket_bound(le)}, counter(n, at, step))
                for le, n in ((fmt_number(lo), 0), (fmt_number(hi), per_step), ("+Inf", per_step))
            )
            check = Check(at)
            if n:
                rates = [(float(s.label_map()["le"]), windowed(rate(samples(s.segments), step, at, self.window.ms, version=env.promql_version), self.window)) for s in series]
                value = bucket_quantile(float(str(self.quantile)), rates)  # type: ignore[arg-type]
                check = level_check(rules, n, at, out, value, env)
            q = fmt_number(self.quantile * 100)
            return Group(
                f"{self.name}: {verdict(levels, n)} at p{q} {fmt_number(target)}{unit} ({limits(levels, levels[0].shown)})",
                self.name,
                step,
                series,
                (check,),
            )

        def build(firing: bool):
            for i, (target, n) in enumerate(tier_values(levels)):
                if target is not None and (firing or not n):
                    yield scenario(target, n, levels[i // 2].value)  # type: ignore[arg-type]

        groups = safe_groups(env, self, build)
        return neighboured(groups, "instance" in out, env.other_instance(self.target))

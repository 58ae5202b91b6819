"""Severity tiers: one alert, several thresholds, one rule per tier with the alert's name.

`tiers: [{severity: warning, above: 80%}, {severity: critical, above: 90%, for: 5m}]`
replaces the alert's `severity` and threshold. Tiers go from the least to the most severe
(info, warning, critical), each past the one before (higher for `above`, lower for
`below`), so a value past a tier is past every lower tier too: between two thresholds only
the lower tier fires, past the top one all do. That order is what an inhibit rule with
`equal: [alertname, ...]` (critical mutes warning) relies on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, model_validator

from sfmon.kinds.base import SEVERITY_RANK, AlertBase, AlertLabels, GoTemplate, Level, NonEmptyGoTemplate, Severity, Threshold
from sfmon.model.base import FieldError, StrictModel
from sfmon.semantics.units import DurationStr, Number, Percent, PercentStr, PositiveDuration


def _share_can_fire(value: Percent) -> Percent:
    # Errors are a share of all requests: it never exceeds 100%, so `> 1` never holds.
    if value.fraction >= 1:
        raise ValueError(f"above {value} can never fire: the share of failed requests is at most 100%; use a threshold below 100%")
    return value


# An `error_ratio` threshold: a percentage below 100%.
ShareStr = Annotated[PercentStr, AfterValidator(_share_can_fire)]


class Tier(StrictModel):
    severity: Severity
    for_: DurationStr | None = Field(default=None, alias="for", description="default: the alert's `for`")
    labels: AlertLabels = Field(default_factory=dict, description="added to (or overriding) the alert's labels")
    # Go templates, refused as promtool refuses them (as the alert's own summary and description)
    summary: NonEmptyGoTemplate | None = Field(default=None, description="default: the alert's summary")
    description: GoTemplate | None = Field(default=None, description="default: the alert's description")


class NumberTier(Threshold, Tier):
    """A tier of a `threshold` alert."""

    above: Number | None = None
    below: Number | None = None


class PercentTier(Threshold, Tier):
    """A tier of a `ratio` alert."""

    above: PercentStr | None = None
    below: PercentStr | None = None


class PercentAboveTier(Tier):
    """A tier of an `error_ratio` alert."""

    above: ShareStr


class DurationTier(Tier):
    """A tier of a `latency_quantile` alert."""

    above: PositiveDuration


class CountTier(Tier):
    """A tier of a `slow_events` alert."""

    above: Number = Field(description="count of slow events in the window")


class Tiered(AlertBase):
    """An alert kind with a threshold: either `severity` and a threshold, or `tiers`.

    A kind sets `tiers: list[<its Tier>] | None` and implements `limit(src)`: (op, value in
    the expression's unit) of the alert itself or of one tier, which share field names."""

    severity: Severity | None = Field(default=None, description="required unless `tiers` is set")  # type: ignore[assignment]
    DIRECTIONS: ClassVar[tuple[str, ...]] = ("above",)

    def limit(self, src: Any) -> tuple[str, Decimal]:  # pragma: no cover - every tiered kind overrides
        raise NotImplementedError

    def shown(self, src: Any) -> str:
        """The threshold of the alert or a tier as the spec writes it: `above 90%`."""
        for d in self.DIRECTIONS:
            value = getattr(src, d, None)
            if value is not None:
                return f"{d} {_show(value)}"
        return ""

    def threshold(self) -> tuple[str, Decimal]:
        lv = self.levels()[0]
        return lv.op, lv.value  # type: ignore[return-value]

    def levels(self) -> list[Level]:
        tiers = getattr(self, "tiers", None)
        if tiers is None:
            op, value = self.limit(self)
            return [Level(self.severity, op, value, self.shown(self), self.for_, dict(self.labels), self.summary, self.description)]  # type: ignore[arg-type]
        out = []
        for i, t in enumerate(tiers):
            op, value = self.limit(t)
            out.append(
                Level(
                    t.severity,
                    op,
                    value,
                    self.shown(t),
                    t.for_ if t.for_ is not None else self.for_,
                    {**self.labels, **t.labels},
                    t.summary if t.summary is not None else self.summary,
                    t.description if t.description is not None else self.description,
                    i,
                )
            )
        return out

    def longest_for_ms(self) -> int:
        """Generated tests evaluate once every firing tier has held its `for`."""
        return max(lv.for_.ms for lv in self.levels())

    @model_validator(mode="after")
    def _tiers(self) -> "Tiered":
        tiers = getattr(self, "tiers", None)
        top = [d for d in self.DIRECTIONS if getattr(self, d, None) is not None]
        if tiers is None:
            if self.severity is None:
                raise FieldError((), "set 'severity' (or 'tiers', each with its severity and threshold)")
            if not top:
                want = " or ".join(repr(d) for d in self.DIRECTIONS)
                raise FieldError((), f"set {want} (or 'tiers', each with its severity and threshold)")
            return self
        if not tiers:
            raise FieldError(("tiers",), "list at least one tier, or drop `tiers` and set severity and threshold")
        if self.severity is not None:
            raise FieldError(("severity",), "an alert with tiers sets the severity of each tier, not its own")
        if top:
            raise FieldError((top[0],), "an alert with tiers sets the threshold of each tier, not its own")
        first = self.limit(tiers[0])
        for i in range(1, len(tiers)):
            prev, tier = tiers[i - 1], tiers[i]
            if tier.severity == prev.severity or any(t.severity == tier.severity for t in tiers[:i]):
                j = next(k for k, t in enumerate(tiers[:i]) if t.severity == tier.severity)
                raise FieldError(("tiers", i, "severity"), f"duplicate tier severity {tier.severity!r} (tiers[{j}] has it)")
            if SEVERITY_RANK[tier.severity] < SEVERITY_RANK[prev.severity]:
                raise FieldError(
                    ("tiers", i, "severity"),
                    f"tiers go from the least to the most severe (info, warning, critical): {tier.severity} after {prev.severity}",
                )
            (op, value), (_, before) = self.limit(tier), self.limit(prev)
            direction = next(d for d in self.DIRECTIONS if getattr(tier, d, None) is not None)
            if op != first[0]:
                raise FieldError(
                    ("tiers", i, direction), f"every tier compares the same way: tiers[0] is {self.shown(tiers[0])}"
                )
            if (op == ">" and value <= before) or (op == "<" and value >= before):
                word = "higher" if op == ">" else "lower"
                raise FieldError(
                    ("tiers", i, direction),
                    f"the {tier.severity} tier must fire at a {word} value than the {prev.severity} tier "
                    f"({self.shown(prev)}), got {self.shown(tier)}",
                )
        return self


def _show(value: Any) -> str:
    from sfmon.semantics.units import fmt_number

    return fmt_number(value) if isinstance(value, Decimal) else str(value)

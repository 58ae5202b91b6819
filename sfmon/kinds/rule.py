"""A Prometheus rule as data: what a kind produces, what alerts.yml serializes.

A kind knows only itself, so the rules it returns are relative: `loc` is the field of the
alert the rule comes from (`()` for the alert as a whole) and `group` is the alert's own
`group:` (None for the spec's default). sfmon.derive.rule_groups places them in the spec
(`loc` like `("alerts", 3)`) and resolves the group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sfmon.semantics.units import Duration


@dataclass(frozen=True, slots=True)
class Rule:
    kind: Literal["alert", "record"]
    name: str  # the alert name, or the series name a recording rule writes
    expr: str
    for_: Duration | None = None  # alerting rules only; None: fires at once
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)  # alerting rules only
    group: str | None = None
    loc: tuple[Any, ...] = ()
    keep_firing_for: Duration | None = None  # alerting rules only; None: resolves at once

    def __post_init__(self) -> None:
        if self.kind == "record" and (self.for_ is not None or self.annotations or self.keep_firing_for is not None):
            raise ValueError(f"recording rule {self.name!r}: Prometheus allows neither `for`, `keep_firing_for` nor annotations")

    def placed(self, loc: tuple[Any, ...], default_group: str) -> "Rule":
        """This rule at its place in the spec: `loc` is where its alert is, e.g. ("alerts", 3)."""
        return Rule(
            self.kind, self.name, self.expr, self.for_, self.labels, self.annotations,
            self.group or default_group, (*loc, *self.loc), self.keep_firing_for,
        )  # fmt: skip


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: Duration | None = None  # None: Prometheus' global evaluation_interval
    limit: int | None = None  # None: no limit on the alerts or series a rule may produce

    def interval_ms(self, default_ms: int) -> int:
        """How often Prometheus evaluates the group: its own interval, else the global one."""
        return self.interval.ms if self.interval is not None else default_ms

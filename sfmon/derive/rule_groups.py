"""The rule groups of alerts.yml: every alert's rules, placed in the spec and grouped.

Pure. Groups are sorted by name (the order carries no meaning, so the file stays
byte-stable); within a group, rules keep the spec's order.
"""

from __future__ import annotations

from sfmon.kinds.rule import Rule, RuleGroup
from sfmon.model import Spec


def rule_groups(spec: Spec) -> list[RuleGroup]:
    """A rule without its own `group:` goes into the group named after the project."""
    groups: dict[str, list[Rule]] = {}
    for i, alert in enumerate(spec.alerts):
        for rule in alert.rules():
            placed = rule.placed(("alerts", i), spec.project)
            groups.setdefault(placed.group, []).append(placed)  # type: ignore[arg-type]
    return [RuleGroup(name, tuple(rules)) for name, rules in sorted(groups.items())]

"""The rule groups of alerts.yml: every recording rule and enabled alert, placed in the spec
and grouped, with the group's `rule_groups:` settings.

Pure. Groups are sorted by name (the order carries no meaning, so the file stays
byte-stable); within a group, recording rules come first, then alerts, each in the spec's
order: Prometheus evaluates a group's rules in order, so an alert sees the series its
group recorded in the same evaluation.
"""

from __future__ import annotations

from sfmon.kinds.rule import Rule, RuleGroup
from sfmon.model import Spec


def rule_groups(spec: Spec) -> list[RuleGroup]:
    """A rule without its own `group:` goes into the group named after the project."""
    groups: dict[str, list[Rule]] = {}
    for i, rec in enumerate(spec.recording_rules):
        placed = rec.rule().placed(("recording_rules", i), spec.project)
        groups.setdefault(placed.group, []).append(placed)  # type: ignore[arg-type]
    for i, alert in spec.enabled_alerts():
        for rule in alert.rules():
            placed = rule.placed(("alerts", i), spec.project)
            groups.setdefault(placed.group, []).append(placed)  # type: ignore[arg-type]
    out = []
    for name, rules in sorted(groups.items()):
        settings = spec.rule_groups.get(name)
        interval = settings.interval if settings is not None else None
        limit = settings.limit if settings is not None else None
        out.append(RuleGroup(name, tuple(rules), interval, limit))
    return out

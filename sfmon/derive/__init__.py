"""What several stages need, computed once from the parsed spec and handed on: the checks,
render and validate all read the same `Derived` (no stage rebuilds it, none re-parses what
an earlier one rendered)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfmon.derive.interval_cases import IntervalCase, interval_cases
from sfmon.derive.message_cases import MessageCase, message_cases
from sfmon.derive.route_cases import InhibitCase, RouteCase, Unpredictable, inhibit_cases, route_cases
from sfmon.derive.rule_groups import rule_groups
from sfmon.derive.rule_tests import RuleTests, rule_tests
from sfmon.kinds.rule import RuleGroup
from sfmon.semantics.routing import Tree


@dataclass(frozen=True)
class Derived:
    rule_groups: tuple[RuleGroup, ...]  # every output that carries rules serializes these
    rule_tests: RuleTests
    route_cases: tuple[RouteCase, ...]
    # The tree the rendered alertmanager.yml describes; None with the reason when sfmon cannot
    # build it (e.g. a bad regex, which amtool reports too).
    routing_tree: Tree | None
    routing_error: str | None = None
    route_unpredictable: tuple[Unpredictable, ...] = ()  # route tests sfmon cannot write, and why
    inhibit_cases: tuple[InhibitCase, ...] = ()  # derived from tiered alerts and the inhibit rules
    # per time interval a route names: muted inside, delivered outside (or the reverse for
    # active intervals), evaluated by sfmon; and the intervals no case could be built for
    interval_cases: tuple[IntervalCase, ...] = ()
    interval_skipped: tuple[tuple[str, str], ...] = ()
    message_cases: tuple[MessageCase, ...] = ()  # each alert's notification data, per receiver it reaches


def derive(spec: Any) -> Derived:
    from sfmon.derive import routing_tree
    from sfmon.derive.links import linked

    rules_spec = linked(spec)  # alerts with their dashboard_url: what the rules and their tests carry

    tree, error = None, None
    try:
        tree = routing_tree.from_spec(spec)
    except (ValueError, KeyError) as exc:  # e.g. a matcher Alertmanager refuses (MatcherError)
        error = str(exc)
    cases, unknown = route_cases(spec, routing_tree.matcher_names(tree.root) if tree is not None else None)
    tests = rule_tests(rules_spec)
    timed, skipped = interval_cases(tree) if tree is not None else ([], [])
    return Derived(
        tuple(rule_groups(rules_spec)), tests, tuple(cases), tree, error, tuple(unknown), tuple(inhibit_cases(spec)),
        tuple(timed), tuple(skipped), tuple(message_cases(spec, tests, tree, rules_spec)),
    )  # fmt: skip

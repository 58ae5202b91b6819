"""Every alert reaches a receiver that delivers somewhere; every receiver is used."""

from __future__ import annotations

from typing import Iterator

from sfmon.semantics import routing
from sfmon.checks import Context
from sfmon.model.receivers import INTEGRATIONS
from sfmon.problems import Problem, Severity
from sfmon.derive.route_cases import alert_labels, case_name


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    by_name = {r.name: r for r in s.receivers}
    tree = ctx.derived.routing_tree
    if tree is None:
        return  # routing/tests reports it
    # Routing depends only on the labels the matchers name (a missing one reads as ""): one
    # walk of the tree per distinct combination, not per alert (alerts x routes grows as n^2).
    names = sorted(_matcher_names(tree.root))
    memo: dict[tuple[str, ...], list[str]] = {}
    for i, alert in s.enabled_alerts():
        labels = alert_labels(alert)
        key = tuple(labels.get(n, "") for n in names)
        got = memo.get(key)
        if got is None:
            got = memo[key] = routing.receivers(tree, labels)
        real = [r for r in got if r in by_name and by_name[r].integrations()]
        if not real:
            yield ctx.problem(
                ("alerts", i, "name"),
                f"alert {alert.name} ({case_name(labels)}) reaches no receiver that delivers: it goes to "
                f"{', '.join(got)}, which {'has' if len(got) == 1 else 'have'} no integration ({', '.join(INTEGRATIONS)})",
            )
    used = {s.routing.receiver} | {n for route in s.routing.routes for n in route.notify}
    for i, r in enumerate(s.receivers):
        if r.name not in used:
            yield ctx.problem(
                ("receivers", i, "name"),
                f"receiver {r.name!r} is not used: no route notifies it and it is not routing.receiver",
                Severity.WARNING,
            )


def _matcher_names(route: routing.Route) -> set[str]:
    names = {m.name for m in route.matchers}
    for child in route.routes:
        names |= _matcher_names(child)
    return names

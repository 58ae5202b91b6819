"""Every alert reaches a receiver that delivers somewhere; every receiver is used."""

from __future__ import annotations

from typing import Iterator

from sfmon.semantics import routing
from sfmon.model.alertmanager import walk_routes
from sfmon.checks import Context
from sfmon.model.receivers import INTEGRATIONS
from sfmon.problems import Problem, Severity
from sfmon.derive.route_cases import alert_labels, case_name
from sfmon.derive.routing_tree import matcher_names


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    by_name = {r.name: r for r in s.receivers}
    tree = ctx.derived.routing_tree
    if tree is None:
        return  # routing/tests reports it
    # Routing depends only on the labels the matchers name (a missing one reads as ""): one
    # walk of the tree per distinct combination, not per alert (alerts x routes grows as n^2).
    names = sorted(matcher_names(tree.root))
    targets = {t.name: t for t in s.targets}
    memo: dict[tuple[str, ...], list[str]] = {}
    for i, alert in s.enabled_alerts():
        for lv in alert_labels(alert, targets, s.prometheus.external_labels):  # each tier is an alert of its own to Alertmanager
            loc = ("alerts", i, "name") if lv.level.tier is None else ("alerts", i, "tiers", lv.level.tier, "severity")
            blind = [k for k in lv.templated if k in names]
            if blind:
                yield ctx.problem(
                    loc,
                    f"alert {alert.name}: routing reads its {', '.join(blind)} label, a template: which receivers "
                    f"get it depends on the series, so sfmon cannot tell whether it reaches one that delivers",
                    Severity.WARNING,
                )
                continue
            labels = lv.labels
            key = tuple(labels.get(n, "") for n in names)
            got = memo.get(key)
            if got is None:
                got = memo[key] = routing.receivers(tree, labels)
            real = [r for r in got if r in by_name and by_name[r].integrations()]
            if not real:
                yield ctx.problem(
                    loc,
                    f"alert {alert.name} ({case_name(labels)}) reaches no receiver that delivers: it goes to "
                    f"{', '.join(got)}, which {'has' if len(got) == 1 else 'have'} no integration ({', '.join(INTEGRATIONS)})",
                )
    used = {s.routing.receiver} | {n for _, route in walk_routes(s.routing.routes) for n in route.notify or ()}
    for i, r in enumerate(s.receivers):
        if r.name not in used:
            yield ctx.problem(
                ("receivers", i, "name"),
                f"receiver {r.name!r} is not used: no route notifies it and it is not routing.receiver",
                Severity.WARNING,
            )


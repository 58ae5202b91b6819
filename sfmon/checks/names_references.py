"""Names that must point at something: targets, catalogs, receivers, alerts on panels."""

from __future__ import annotations

from typing import Iterator

from sfmon.model.alertmanager import walk_routes
from sfmon.checks import Context, hint
from sfmon.problems import Problem, Severity


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    targets = {t.name for t in s.targets}
    receivers = {r.name for r in s.receivers}
    alerts = {a.name for a in s.alerts}
    for i, t in enumerate(s.targets):
        if t.catalog is not None and t.catalog not in s.catalogs:
            yield ctx.problem(("targets", i, "catalog"), f"unknown catalog {t.catalog!r}" + hint(t.catalog, s.catalogs))
    for i, a in enumerate(s.alerts):
        target = a.target_name()
        if target is not None and target not in targets:
            yield ctx.problem(("alerts", i, "target"), f"unknown target {target!r}" + hint(target, targets))
    used_groups = {a.group or s.project for a in s.alerts} | {r.group or s.project for r in s.recording_rules}
    for name in s.rule_groups:
        if name not in used_groups:
            yield ctx.problem(
                ("rule_groups", name), f"rule group {name!r} has no rules" + hint(name, used_groups), Severity.WARNING, key=True
            )
    if s.routing.receiver not in receivers:
        yield ctx.problem(
            ("routing", "receiver"), f"unknown receiver {s.routing.receiver!r}" + hint(s.routing.receiver, receivers)
        )
    for at, route in walk_routes(s.routing.routes):  # to any depth
        for ni, name in enumerate(route.notify or ()):
            if name not in receivers:
                yield ctx.problem((*at, "notify", ni), f"unknown receiver {name!r}" + hint(name, receivers))
    for di, d in enumerate(s.dashboards):
        for ri, row in enumerate(d.rows):
            for pi, p in enumerate(row.panels):
                if p.show_alert is not None and p.show_alert not in alerts:
                    yield ctx.problem(
                        ("dashboards", di, "rows", ri, "panels", pi, "show_alert"),
                        f"unknown alert {p.show_alert!r}" + hint(p.show_alert, alerts),
                    )

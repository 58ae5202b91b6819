"""Routes must reach a receiver, and receivers must have an integration to deliver with."""

from __future__ import annotations

from typing import Iterator

from sfmon.model.alertmanager import walk_routes
from sfmon.checks import Context
from sfmon.model.receivers import INTEGRATIONS
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    for at, route in walk_routes(s.routing.routes):
        if route.notify is not None and not route.notify:
            yield ctx.problem((*at, "notify"), "route reaches no receiver: list at least one in 'notify' (or leave it out to notify the parent's)")
    for i, r in enumerate(s.receivers):
        if not r.integrations():
            yield ctx.problem(
                ("receivers", i),
                f"receiver {r.name!r} has no integration: add one of {', '.join(INTEGRATIONS)}",
            )

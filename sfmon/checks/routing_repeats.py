"""The same receiver twice in one route's `notify`: Alertmanager would get two routes to it,
so every alert pages twice (and a route test, which compares receivers as a set, would not
notice). It can only be a mistake: an error on the repeat."""

from __future__ import annotations

from typing import Iterator

from sfmon.model.alertmanager import walk_routes
from sfmon.checks import Context
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    for at, route in walk_routes(ctx.spec.routing.routes):
        seen: dict[str, int] = {}
        for j, name in enumerate(route.notify or ()):
            if name in seen:
                yield ctx.problem(
                    (*at, "notify", j),
                    f"receiver {name!r} is listed twice in this route (also notify[{seen[name]}]): every alert would notify it twice",
                )
            seen.setdefault(name, j)

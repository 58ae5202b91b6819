"""Time intervals as Alertmanager's config loader judges them (config.Config.UnmarshalYAML):
names unique, and every name a route gives in `mute_time_intervals` or
`active_time_intervals` defined. Each interval's own fields are checked by the models."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context, hint
from sfmon.model.alertmanager import walk_routes
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    routing = ctx.spec.routing
    names: set[str] = set()
    for i, t in enumerate(routing.time_intervals):
        if t.name in names:
            yield ctx.problem(("routing", "time_intervals", i, "name"), f"time interval {t.name!r} is not unique")
        names.add(t.name)
    for at, route in walk_routes(routing.routes):
        for key in ("mute_time_intervals", "active_time_intervals"):
            for j, name in enumerate(getattr(route, key)):
                if name not in names:
                    yield ctx.problem((*at, key, j), f"undefined time interval {name!r}" + hint(name, names))

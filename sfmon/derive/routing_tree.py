"""The spec's routing as Alertmanager will read it: matcher strings, the flattened routes
(one per receiver), and the evaluable tree built from exactly that config."""

from __future__ import annotations

from typing import Any

from sfmon.model.alertmanager import Route
from sfmon.semantics.quoting import alertmanager_string
from sfmon.semantics.routing import Route as TreeRoute, Tree, from_config


def matchers(match: dict[str, str], match_re: dict[str, str] | None = None) -> list[str]:
    """Alertmanager matcher strings: severity="critical", team=~"back.*"."""
    out = [f"{k}={alertmanager_string(v)}" for k, v in sorted(match.items())]
    out += [f"{k}=~{alertmanager_string(v)}" for k, v in sorted((match_re or {}).items())]
    return out


def flat_routes(routes: list[Route]) -> list[dict[str, Any]]:
    """One Alertmanager route per (spec route, receiver). All but the last receiver of a
    spec route continue, so every listed receiver gets the alert; the last one keeps the
    spec route's own `continue`."""
    out = []
    for route in routes:
        for i, receiver in enumerate(route.notify):
            last = i == len(route.notify) - 1
            out.append(
                {
                    "receiver": receiver,
                    "matchers": matchers(route.match, route.match_re),
                    "continue": route.continue_ if last else True,
                    "group_by": route.group_by,
                    "group_wait": route.group_wait,
                    "group_interval": route.group_interval,
                    "repeat_interval": route.repeat_interval,
                    "mute_time_intervals": list(route.mute_time_intervals),
                    "active_time_intervals": list(route.active_time_intervals),
                }
            )
    return out


def config(spec: Any) -> dict[str, Any]:
    """The route and inhibit parts of alertmanager.yml, as data."""
    return {
        "route": {
            "receiver": spec.routing.receiver,
            "routes": [
                {k: r[k] for k in ("receiver", "matchers", "continue", "mute_time_intervals", "active_time_intervals")}
                for r in flat_routes(spec.routing.routes)
            ],
        },
        "time_intervals": [
            {"name": t.name, "time_intervals": [s.model_dump(exclude_none=True) for s in t.time_intervals]}
            for t in spec.routing.time_intervals
        ],
        "inhibit_rules": [
            {"source_matchers": matchers(i.source), "target_matchers": matchers(i.target), "equal": list(i.equal)}
            for i in spec.routing.inhibit
        ],
    }


def from_spec(spec: Any) -> Tree:
    """The tree the rendered alertmanager.yml describes, before anything is rendered."""
    return from_config(config(spec))


def matcher_names(route: TreeRoute) -> set[str]:
    """The label names a route and its children match on: all that routing reads."""
    names = {m.name for m in route.matchers}
    for child in route.routes:
        names |= matcher_names(child)
    return names

"""The spec's routing as Alertmanager will read it: matcher strings, the route tree (each
spec route one Alertmanager route per receiver), and the evaluable tree built from exactly
that config."""

from __future__ import annotations

from typing import Any

from sfmon.model.alertmanager import Route
from sfmon.semantics.matchers import parse, reads_utf8, written_name
from sfmon.semantics.quoting import alertmanager_string
from sfmon.semantics.routing import Route as TreeRoute, Tree, from_config


def matchers(match: dict[str, str], match_re: dict[str, str] | None = None, lines: list[str] | None = None) -> list[str]:
    """Alertmanager matcher strings: severity="critical", team=~"back.*". `lines` (spec
    `matchers:`, already valid for the target release) come first, in their order, one
    matcher each, each value re-quoted so that every Alertmanager parser reads the value
    sfmon read. A name the classic parser cannot read (only 0.27 and later take it) is
    quoted too: the classic parser then refuses the line, so fallback mode reads it with
    the UTF-8 parser, whose strconv unquoting reads these escapes as the classic one does."""
    out = [f"{written_name(m.name)}{m.op}{alertmanager_string(m.value)}" for line in lines or [] for m in parse(line, fallback=True)]
    out += [f"{written_name(k)}={alertmanager_string(v)}" for k, v in sorted(match.items())]
    out += [f"{written_name(k)}=~{alertmanager_string(v)}" for k, v in sorted((match_re or {}).items())]
    return out


def _options(route: Route) -> dict[str, Any]:
    # Only what the spec route sets: Alertmanager inherits the rest from the parent.
    return {
        "group_by": route.group_by,
        "group_wait": route.group_wait,
        "group_interval": route.group_interval,
        "repeat_interval": route.repeat_interval,
    }


def tree_routes(routes: list[Route], inherited: list[str]) -> list[dict[str, Any]]:
    """One Alertmanager route per (spec route, receiver). All but the last receiver of a
    spec route continue, so every listed receiver gets the alert; the last one keeps the
    spec route's own `continue` and its children (a route with children has one receiver).
    Every route names its receiver, inherited ones included, so the file reads as it routes."""
    out = []
    for route in routes:
        names = route.receivers(inherited)
        for i, receiver in enumerate(names):
            last = i == len(names) - 1
            out.append(
                {
                    "receiver": receiver,
                    "matchers": matchers(route.match, route.match_re, route.matchers),
                    "continue": route.continue_ if last else True,
                    **_options(route),
                    "mute_time_intervals": list(route.mute_time_intervals),
                    "active_time_intervals": list(route.active_time_intervals),
                    "routes": tree_routes(route.routes, [receiver]) if last else [],
                }
            )
    return out


def root(spec: Any) -> dict[str, Any]:
    """The whole route tree of alertmanager.yml, as data: what the template lays out and
    what the evaluable tree is built from."""
    r = spec.routing
    return {
        "receiver": r.receiver,
        "group_by": r.group_by,
        "group_wait": r.group_wait,
        "group_interval": r.group_interval,
        "repeat_interval": r.repeat_interval,
        "routes": tree_routes(r.routes, [r.receiver]),
    }


def time_intervals(spec: Any) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "time_intervals": [s.model_dump(exclude_none=True) for s in t.time_intervals]}
        for t in spec.routing.time_intervals
    ]


def inhibit_rules(spec: Any) -> list[dict[str, Any]]:
    return [
        {
            "source_matchers": matchers(i.source, None, i.source_matchers),
            "target_matchers": matchers(i.target, None, i.target_matchers),
            "equal": list(i.equal),
        }
        for i in spec.routing.inhibit
    ]


def config(spec: Any) -> dict[str, Any]:
    """The route and inhibit parts of alertmanager.yml, as data."""
    return {"route": root(spec), "time_intervals": time_intervals(spec), "inhibit_rules": inhibit_rules(spec)}


def from_spec(spec: Any) -> Tree:
    """The tree the rendered alertmanager.yml describes, before anything is rendered."""
    return from_config(config(spec), fallback=reads_utf8(spec.alertmanager.version))


def matcher_names(route: TreeRoute) -> set[str]:
    """The label names a route and its children match on: all that routing reads."""
    names: set[str] = set()
    stack = [route]
    while stack:  # as many steps as the tree has routes
        node = stack.pop()
        names |= {m.name for m in node.matchers}
        stack.extend(node.routes)
    return names

"""The generated time-interval cases: for every time interval a route names, an alert that
reaches that route, an instant inside the interval and one outside it, and whether the
route delivers at each. sfmon evaluates them itself (amtool has no notion of time): the
`routing/tests` check runs them on the routing tree of the rendered config.

Pure, from the evaluable tree (sfmon.semantics.routing.Tree), so nested routes are covered
as soon as the tree holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from sfmon.semantics.routing import Route, Tree, match
from sfmon.semantics.timeintervals import SEARCH_DAYS, find_instant, in_any


@dataclass(frozen=True)
class IntervalCase:
    interval: str
    kind: str  # "mute" or "active"
    receiver: str
    labels: dict[str, str]
    at: datetime
    delivered: bool  # what the route must do at `at`

    @property
    def name(self) -> str:
        where = "inside" if (self.kind == "mute") != self.delivered else "outside"
        return f"{self.receiver} {where} {self.kind} interval {self.interval!r}: {'delivered' if self.delivered else 'muted'}"


def _walk(route: Route, path: tuple[Route, ...] = ()) -> Iterator[tuple[Route, tuple[Route, ...]]]:
    for child in route.routes:
        yield child, (*path, child)
        yield from _walk(child, (*path, child))


def _labels(path: tuple[Route, ...]) -> dict[str, str]:
    """Labels that satisfy the equality matchers on the way to a route (others left out)."""
    out: dict[str, str] = {}
    for r in path:
        out.update({m.name: m.value for m in r.matchers if m.op == "="})
    return out


def interval_cases(tree: Tree) -> tuple[list[IntervalCase], list[tuple[str, str]]]:
    """The cases, and (interval name, why) for each case that could not be built."""
    named = tree.time_intervals
    cases, skipped = [], []
    for route, path in _walk(tree.root):
        names = [*route.mute_time_intervals, *route.active_time_intervals]
        if not names or any(n not in named for n in names):
            continue  # routing/intervals reports unknown names
        labels = {"alertname": "IntervalCase", **_labels(path)}
        if not any(r is route for r in match(tree.root, labels)):
            skipped += [(n, f"no alert sfmon can build reaches the {route.receiver} route that names it") for n in dict.fromkeys(names)]
            continue
        mute = [named[n] for n in route.mute_time_intervals]
        active = [named[n] for n in route.active_time_intervals]

        def open_(t: datetime, mute=mute, active=active) -> bool:
            return not any(in_any(m, t) for m in mute) and (not active or any(in_any(a, t) for a in active))

        def in_(n: str) -> Callable[[datetime], bool]:
            return lambda t: in_any(named[n], t)

        # (interval, kind, where, the instant's condition, delivered there)
        wanted: list[tuple[str, str, str, Callable[[datetime], bool], bool]] = []
        for n in dict.fromkeys(route.mute_time_intervals):
            wanted += [
                (n, "mute", "inside", in_(n), False),  # muted whatever the other intervals say
                (n, "mute", "outside", lambda t, i=in_(n): not i(t) and open_(t), True),
            ]
        for n in dict.fromkeys(route.active_time_intervals):
            wanted += [
                (n, "active", "inside", lambda t, i=in_(n): i(t) and open_(t), True),
                (n, "active", "outside", lambda t: not any(in_any(a, t) for a in active), False),
            ]
        for n, kind, where, condition, delivered in wanted:
            at = find_instant([named[n], *mute, *active], condition)
            if at is None:
                skipped.append((n, f"the {route.receiver} route: no instant {where} it found in {SEARCH_DAYS} days"))
            else:
                cases.append(IntervalCase(n, kind, route.receiver, labels, at, delivered))
    return cases, skipped

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
from functools import lru_cache
from typing import Iterator

from sfmon.semantics.routing import Route, Tree, match
from sfmon.semantics.timeintervals import SEARCH_DAYS, TimeInterval, find_instant, in_any


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
        mute = tuple(named[n] for n in route.mute_time_intervals)
        active = tuple(named[n] for n in route.active_time_intervals)
        wanted = [(n, "mute", where, where == "outside") for n in dict.fromkeys(route.mute_time_intervals) for where in ("inside", "outside")]
        wanted += [(n, "active", where, where == "inside") for n in dict.fromkeys(route.active_time_intervals) for where in ("inside", "outside")]
        for n, kind, where, delivered in wanted:
            at = _instant(named[n], mute, active, kind, where)
            if at is None:
                skipped.append((n, f"the {route.receiver} route: no instant {where} it found in {SEARCH_DAYS} days"))
            else:
                cases.append(IntervalCase(n, kind, route.receiver, labels, at, delivered))
    return cases, skipped


Intervals = tuple[TimeInterval, ...]


@lru_cache(maxsize=1024)  # pure; a process that checks many specs (tests, the sweep) asks again
def _instant(interval: Intervals, mute: tuple[Intervals, ...], active: tuple[Intervals, ...], kind: str, where: str) -> datetime | None:
    """An instant `where` ("inside"/"outside") the `kind` interval of a route with these mute
    and active intervals: inside a mute interval (muted whatever the others say); outside it
    and open; inside an active one and open; outside every active one."""

    def open_(t: datetime) -> bool:
        return not any(in_any(m, t) for m in mute) and (not active or any(in_any(a, t) for a in active))

    def condition(t: datetime) -> bool:
        if kind == "mute":
            return in_any(interval, t) if where == "inside" else not in_any(interval, t) and open_(t)
        return in_any(interval, t) and open_(t) if where == "inside" else not any(in_any(a, t) for a in active)

    return find_instant([interval, *mute, *active], condition)

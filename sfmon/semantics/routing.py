"""Alertmanager's routing and inhibition, evaluated by sfmon: which receivers get an alert,
and whether a firing alert mutes another.

Pure, and built from an Alertmanager config as parsed YAML, so it judges exactly the file
amtool checks (`from_config`); sfmon.derive.routing_tree builds the same config from the spec. Semantics follow Alertmanager 0.25 (dispatch/route.go, inhibit/inhibit.go):
a route matches when all its matchers do (a missing label is the empty string, regexes are
anchored); children are tried in order and the first match stops the search unless it has
`continue`; a route none of whose children match is itself the match.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping, Sequence

from sfmon.semantics import regex
from sfmon.semantics.matchers import Matcher, MatcherError, parse, parse_one
from sfmon.semantics.timeintervals import TimeInterval, muted, parse_interval
from sfmon.semantics.units import Duration

# Every walk of a tree is bounded: deeper than this is refused (the spec allows less).
MAX_DEPTH = 64


def parse_matcher(text: str) -> Matcher:
    """One matcher, `severity="critical"`, `team=~"back.*"` or unquoted `job=api`, as
    Alertmanager reads it; MatcherError (a ValueError) when Alertmanager refuses it."""
    return parse_one(text)


def matches_all(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


# dispatch.DefaultRouteOpts: what the root route has for an option it leaves out.
DEFAULT_GROUP_WAIT_MS = 30_000
DEFAULT_GROUP_INTERVAL_MS = 300_000
DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000


@dataclass(frozen=True)
class Route:
    """A route with its options resolved, as dispatch.NewRoute resolves them: each is the
    route's own, else its parent's (a route's matchers and `continue` are never inherited)."""

    receiver: str
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    routes: tuple["Route", ...] = ()
    group_by: tuple[str, ...] = ()  # sorted; empty with group_by_all for `...`
    group_by_all: bool = False
    group_wait_ms: int = DEFAULT_GROUP_WAIT_MS
    group_interval_ms: int = DEFAULT_GROUP_INTERVAL_MS
    repeat_interval_ms: int = DEFAULT_REPEAT_INTERVAL_MS
    mute_time_intervals: tuple[str, ...] = ()  # a route's own; Alertmanager does not inherit them
    active_time_intervals: tuple[str, ...] = ()


@dataclass(frozen=True)
class InhibitRule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tree:
    root: Route
    inhibit_rules: tuple[InhibitRule, ...] = ()
    time_intervals: Mapping[str, tuple[TimeInterval, ...]] = field(default_factory=dict)  # by name


# --- building ----------------------------------------------------------------------------


def _matchers(node: Mapping[str, Any], new: str, old_eq: str, old_re: str, fallback: bool) -> tuple[Matcher, ...]:
    # Each line of `matchers:` may hold several matchers (`a="1", b="2"`), as in
    # config.Matchers; `match_re` values are regexes like any `=~` value.
    out = [m for line in node.get(new) or [] for m in parse(str(line), fallback=fallback)]
    out += [Matcher(k, "=", str(v)) for k, v in sorted((node.get(old_eq) or {}).items())]
    out += [_regex_matcher(k, str(v)) for k, v in sorted((node.get(old_re) or {}).items())]
    return tuple(out)


def _regex_matcher(name: str, value: str) -> Matcher:
    try:
        regex.compile(value)
    except regex.RegexError as exc:
        raise MatcherError(str(exc)) from None
    return Matcher(name, "=~", value)


def _ms(node: Mapping[str, Any], key: str, inherited: int) -> int:
    value = node.get(key)
    return inherited if value is None else Duration(str(value)).ms


def _route(node: Mapping[str, Any], parent: Route | None, fallback: bool, depth: int = 0) -> Route:
    if depth > MAX_DEPTH:
        raise ValueError(f"the routing tree nests more than {MAX_DEPTH} levels deep")
    receiver = node.get("receiver") or (parent.receiver if parent is not None else None)  # inherited
    if receiver is None:
        raise ValueError("the root route has no receiver")
    group_by, group_by_all = (parent.group_by, parent.group_by_all) if parent is not None else ((), False)
    listed = [str(g) for g in node.get("group_by") or []]
    # config.Route: `...` sets "all" and lists nothing; a list that names labels replaces the
    # parent's (and its "all"); an empty or absent list keeps both.
    if "..." in listed:
        group_by_all = True
    elif listed:
        group_by, group_by_all = tuple(sorted(set(listed))), False
    own = Route(
        receiver=receiver,
        matchers=_matchers(node, "matchers", "match", "match_re", fallback),
        continue_=bool(node.get("continue", False)),
        group_by=group_by,
        group_by_all=group_by_all,
        group_wait_ms=_ms(node, "group_wait", parent.group_wait_ms if parent else DEFAULT_GROUP_WAIT_MS),
        group_interval_ms=_ms(node, "group_interval", parent.group_interval_ms if parent else DEFAULT_GROUP_INTERVAL_MS),
        repeat_interval_ms=_ms(node, "repeat_interval", parent.repeat_interval_ms if parent else DEFAULT_REPEAT_INTERVAL_MS),
        mute_time_intervals=tuple(node.get("mute_time_intervals") or ()),
        active_time_intervals=tuple(node.get("active_time_intervals") or ()),
    )
    children = tuple(_route(child or {}, own, fallback, depth + 1) for child in node.get("routes") or [])
    return replace(own, routes=children)


def from_config(config: Mapping[str, Any], fallback: bool = False) -> Tree:
    """From an alertmanager.yml, parsed; `fallback`: matchers read as 0.27 and later read
    them (sfmon.semantics.matchers), else as 0.25."""
    rules = tuple(
        InhibitRule(
            _matchers(r, "source_matchers", "source_match", "source_match_re", fallback),
            _matchers(r, "target_matchers", "target_match", "target_match_re", fallback),
            tuple(r.get("equal") or ()),
        )
        for r in (rule or {} for rule in config.get("inhibit_rules") or [])  # `- ` alone: an empty rule
    )
    named = {}
    for key in ("mute_time_intervals", "time_intervals"):  # the old name is still read
        for t in config.get(key) or []:
            named[t["name"]] = tuple(parse_interval(i) for i in t.get("time_intervals") or [])
    return Tree(_route(config["route"], None, fallback), rules, named)


# --- evaluating --------------------------------------------------------------------------


def match(route: Route, labels: Mapping[str, str]) -> list[Route]:
    """dispatch.Route.Match: the routes an alert with `labels` ends up in, in order (the
    recursion is as deep as the tree, which building bounded)."""
    if not matches_all(route.matchers, labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        hits = match(child, labels)
        found += hits
        if hits and not child.continue_:
            break
    return found or [route]


def receivers(tree: Tree, labels: Mapping[str, str]) -> list[str]:
    """Receivers in the order amtool prints them (a receiver reached twice appears twice)."""
    return [r.receiver for r in match(tree.root, labels)]


def delivered(tree: Tree, labels: Mapping[str, str], at: datetime) -> list[tuple[str, bool]]:
    """(receiver, delivered) per route the alert ends up in: whether, at `at`, the route's
    time intervals let the notification through (notify's TimeActiveStage, TimeMuteStage).
    KeyError for an interval name the config does not define (Alertmanager refuses it)."""
    return [
        (r.receiver, not muted(tree.time_intervals, r.mute_time_intervals, r.active_time_intervals, at))
        for r in match(tree.root, labels)
    ]


def muting_rule(tree: Tree, target: Mapping[str, str], firing: Sequence[Mapping[str, str]]) -> int | None:
    """Index of the first inhibit rule by which one of the `firing` alerts mutes `target`, or None.

    As inhibit.Inhibitor.Mutes: the rule's target matchers match the alert, some firing
    alert matches its source matchers and has the same values (missing = empty) for every
    `equal` label; when the alert itself matches the source side too, a source that also
    matches the target side does not count (so alerts do not mute each other in a circle)."""
    for i, rule in enumerate(tree.inhibit_rules):
        if not matches_all(rule.target, target):
            continue
        two_sided = matches_all(rule.source, target)
        for src in firing:
            if not matches_all(rule.source, src):
                continue
            if any(src.get(n, "") != target.get(n, "") for n in rule.equal):
                continue
            if two_sided and matches_all(rule.target, src):
                continue
            return i
    return None

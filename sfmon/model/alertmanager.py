"""Alertmanager: routing, inhibition, routing tests, server settings (receivers: sfmon.model.receivers)."""

from __future__ import annotations

from typing import Annotated, Any, Iterator

from pydantic import AfterValidator, Field, model_validator

from sfmon.model.amglobal import Global
from sfmon.model.messages import Messages
from sfmon.model.receivers import Receiver  # noqa: F401  (re-exported: receivers live in sfmon.model.receivers)
from sfmon.model.security import WebSecurity
from sfmon.model.time import Instant, TimeInterval
from sfmon.model.base import AlertmanagerRelease, FieldError, AlertName, GroupLabel, LabelName, Labels, ReceiverName, RegexLabels, StrictModel
from sfmon.semantics.matchers import parse
from sfmon.semantics.units import DurationStr, PositiveDuration


def _matcher_line(value: str) -> str:
    # Read as the newest Alertmanager's config reads a `matchers:` line (fallback mode,
    # sfmon.semantics.matchers); its refusal, worded as Alertmanager words it, is the field's
    # error. A line only 0.27 and later read is refused for older targets by
    # model/matcher_rules, which knows alertmanager.version.
    parse(value, fallback=True)
    return value


MatcherLine = Annotated[str, AfterValidator(_matcher_line)]
# How deep `routes:` may nest (the root's children are depth 1). Alertmanager has no limit;
# sfmon bounds every walk of the tree, and real trees are a few levels deep.
MAX_ROUTE_DEPTH = 12


def _group_by_once(labels: list[str] | None) -> list[str] | None:
    # config.Route.UnmarshalYAML: `...` stands alone, and no label is listed twice.
    if labels is None:
        return labels
    if "..." in labels and len(labels) > 1:
        raise ValueError("cannot have wildcard group_by (`...`) and other labels at the same time")
    seen = set()
    for label in labels:
        if label in seen:
            raise ValueError(f"duplicated label {label!r} in group_by")
        seen.add(label)
    return labels


GroupBy = Annotated[list[GroupLabel], AfterValidator(_group_by_once)]


class Route(StrictModel):
    """One node of Alertmanager's routing tree; what it leaves out it inherits from its parent (the root: `routing:`)."""

    matchers: list[MatcherLine] = Field(
        default_factory=list,
        description='Alertmanager matchers, one or several a line: severity="critical", team=~"back.*", env!="dev", '
        "job!~\"test.*\", {a=\"1\", b=\"2\"}; all must match (with match and match_re). Quoted or UTF-8 label names "
        "('\"service.name\"=\"api\"': Alertmanager's UTF-8 parser) need alertmanager.version 0.27 or later",
    )
    match: Labels = Field(default_factory=dict, description="label equality matchers; {} matches everything")
    match_re: RegexLabels = Field(default_factory=dict, description="label regex matchers (RE2, anchored as Alertmanager anchors them)")
    notify: list[ReceiverName] | None = Field(
        default=None,
        description="receivers that get matching alerts; omitted: the parent route's. A route with child `routes` notifies one",
    )
    continue_: bool = Field(default=False, alias="continue", description="after a match, go on to the next sibling route")
    group_by: GroupBy | None = Field(default=None, description="labels to group by, or ['...'] (every label); omitted: the parent's")
    group_wait: DurationStr | None = Field(default=None, description="omitted: the parent's")
    group_interval: PositiveDuration | None = Field(default=None, description="omitted: the parent's")
    repeat_interval: PositiveDuration | None = Field(default=None, description="omitted: the parent's")
    mute_time_intervals: list[str] = Field(
        default_factory=list, description="names of routing.time_intervals: no notification while inside any (not inherited by other routes)"
    )
    active_time_intervals: list[str] = Field(
        default_factory=list, description="names of routing.time_intervals: notifications only while inside one (empty: always)"
    )
    routes: list["Route"] = Field(
        default_factory=list,
        description=f"child routes, tried in order when this one matches; the first match wins unless it has `continue`; "
        f"an alert no child matches stays here (at most {MAX_ROUTE_DEPTH} levels deep)",
    )

    @model_validator(mode="after")
    def _one_receiver_above_children(self) -> "Route":
        # Several receivers become several Alertmanager routes; children under each would
        # notify once per copy, so a route with children names one receiver.
        if self.routes and self.notify is not None and len(self.notify) > 1:
            raise FieldError(("notify",), "a route with child routes notifies one receiver (its children replace it where they match)")
        return self

    def receivers(self, inherited: list[str]) -> list[str]:
        """Whom this route notifies, given its parent's receivers."""
        return list(self.notify) if self.notify is not None else list(inherited)


def walk_routes(routes: list[Route], loc: tuple[Any, ...] = ("routing", "routes")) -> Iterator[tuple[tuple[Any, ...], Route]]:
    """Every route of the tree, parents before children, with its place in the spec."""
    stack = [(loc + (i,), r) for i, r in reversed(list(enumerate(routes)))]
    while stack:
        at, route = stack.pop()
        yield at, route
        stack.extend((at + ("routes", i), r) for i, r in reversed(list(enumerate(route.routes))))


def _depth(routes: list[Route]) -> tuple[int, tuple[Any, ...]]:
    deepest, where = 0, ()
    for at, _ in walk_routes(routes, ()):
        d = at.count("routes") + 1
        if d > deepest:
            deepest, where = d, at
    return deepest, where


class Inhibit(StrictModel):
    source: Labels = Field(default_factory=dict, description="labels of the muting (firing) alert")
    target: Labels = Field(default_factory=dict, description="labels of the muted alert")
    source_matchers: list[MatcherLine] = Field(default_factory=list, description="matchers of the muting alert, in Alertmanager's syntax (with `source`; as a route's `matchers`)")
    target_matchers: list[MatcherLine] = Field(default_factory=list, description="matchers of the muted alert, in Alertmanager's syntax (with `target`; as a route's `matchers`)")
    equal: list[LabelName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _both_sides(self) -> "Inhibit":
        for side in ("source", "target"):
            if not getattr(self, side) and not any(parse(line, fallback=True) for line in getattr(self, f"{side}_matchers")):
                raise FieldError((side,), f"give the {side} side a matcher: '{side}' or '{side}_matchers'")
        return self


class RouteTest(StrictModel):
    """Which receivers an alert with these labels reaches (checked by sfmon and by amtool)."""

    name: str | None = Field(default=None, description="default: the alert name, else the labels")
    alert: AlertName | None = Field(default=None, description="start from this alert's labels: alertname, severity, labels, job")
    labels: Labels = Field(default_factory=dict, description="labels of the alert (added to, or overriding, the alert's)")
    receivers: list[ReceiverName] = Field(min_length=1, description="every receiver that must get it, and no other (order free)")
    at: Instant | None = Field(
        default=None, description="when the alert is notified (RFC 3339 with offset): the routes' time intervals are judged then"
    )
    muted: list[ReceiverName] = Field(
        default_factory=list, description="of `receivers`, those a time interval holds back `at` that time; the others are delivered"
    )

    @model_validator(mode="after")
    def _some_labels(self) -> "RouteTest":
        if self.alert is None and not self.labels:
            raise ValueError("set 'alert' or 'labels' (or both)")
        if self.muted and self.at is None:
            raise FieldError(("muted",), "set `at`: whether a receiver is muted depends on the time")
        for j, r in enumerate(self.muted):
            if r not in self.receivers:
                raise FieldError(("muted", j), f"{r!r} is not one of this test's receivers")
        return self


class InhibitTest(StrictModel):
    """Whether a firing alert mutes another through the inhibit rules (checked by sfmon)."""

    name: str | None = None
    firing: Labels = Field(min_length=1, description="labels of the alert that is firing")
    muted: Labels = Field(min_length=1, description="labels of the alert that may be muted")
    expect_muted: bool = True


class Routing(StrictModel):
    receiver: ReceiverName = Field(description="fallback receiver for alerts no route matches")
    group_by: GroupBy = Field(default_factory=lambda: ["alertname", "job"], description="labels to group by, or ['...'] (every label)")
    group_wait: DurationStr = Field(default="30s")
    group_interval: PositiveDuration = Field(default="5m")
    repeat_interval: PositiveDuration = Field(default="4h")
    resolve_timeout: PositiveDuration = Field(default="5m")
    routes: list[Route] = Field(default_factory=list)
    inhibit: list[Inhibit] = Field(default_factory=list)
    time_intervals: list[TimeInterval] = Field(
        default_factory=list, description="named time intervals, for routes' mute_time_intervals and active_time_intervals"
    )
    tests: list[RouteTest] = Field(default_factory=list, description="routing tests, run with amtool by `sfmon validate`")
    inhibit_tests: list[InhibitTest] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bounded(self) -> "Routing":
        depth, where = _depth(self.routes)
        if depth > MAX_ROUTE_DEPTH:
            raise FieldError(("routes", *where), f"routes nest {depth} levels deep here: sfmon reads at most {MAX_ROUTE_DEPTH}")
        return self




class AlertmanagerSettings(StrictModel):
    version: AlertmanagerRelease | None = Field(
        default=None,
        description="the Alertmanager release the stack runs, e.g. 0.28; `sfmon validate` warns when its amtool is "
        "of another MAJOR.MINOR; omitted: the installed amtool's",
    )
    web: WebSecurity | None = Field(default=None, description="TLS and basic auth of Alertmanager's web endpoint")
    global_: Global = Field(
        default_factory=Global, alias="global",
        description="alertmanager.yml's global block: SMTP defaults, the HTTP client (resolve_timeout is routing.resolve_timeout)",
    )  # fmt: skip
    messages: Messages = Field(default_factory=Messages, description="what sfmon's notification templates say")
    replicas: int = Field(
        default=1, ge=1, le=9,
        description="Alertmanager peers in one cluster (--cluster.peer): compose services alertmanager-<i>; "
        "Prometheus sends every alert to each peer and the cluster notifies once",
    )  # fmt: skip

    def peer_names(self) -> list[str]:
        """The peers' compose service names when there are several."""
        return [f"alertmanager-{i}" for i in range(self.replicas)] if self.replicas > 1 else []

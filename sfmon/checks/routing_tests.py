"""The spec's routing and inhibition tests, evaluated by sfmon against its own routing.

Routing cases are checked again by amtool in `sfmon validate`; inhibition has no amtool
command, so sfmon's evaluation (sfmon.semantics.routing) is the check."""

from __future__ import annotations

from typing import Iterator

from sfmon.semantics import routing
from sfmon.checks import Context, hint
from sfmon.problems import Problem, Severity
from sfmon.derive.route_cases import case_name


def _routes(route: routing.Route) -> Iterator[routing.Route]:
    yield route
    for child in route.routes:
        yield from _routes(child)


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    receivers = {r.name for r in s.receivers}
    alerts = {a.name for a in s.alerts}
    tree = ctx.derived.routing_tree
    if tree is None:  # e.g. a bad regex: reported by amtool too
        yield ctx.problem(("routing",), f"cannot evaluate the routing tree: {ctx.derived.routing_error}")
        return
    disabled = {a.name for a in s.alerts if not a.enabled}
    for u in ctx.derived.route_unpredictable:
        yield ctx.problem(u.loc, u.message, Severity.WARNING)
    bad = False
    for i, t in enumerate(s.routing.tests):
        if t.alert is not None and t.alert not in alerts:
            bad = True
            yield ctx.problem(("routing", "tests", i, "alert"), f"unknown alert {t.alert!r}" + hint(t.alert, alerts))
        elif t.alert in disabled:
            # A warning, not an error: an overlay switches an alert off per environment, and the
            # base spec's route tests must not break there. The case is not run.
            yield ctx.problem(
                ("routing", "tests", i, "alert"),
                f"alert {t.alert!r} is disabled (enabled: false): this route test is skipped",
                Severity.WARNING,
            )
        for j, r in enumerate(t.receivers):
            if r not in receivers:
                bad = True
                yield ctx.problem(("routing", "tests", i, "receivers", j), f"unknown receiver {r!r}" + hint(r, receivers))
    if bad:
        return
    known = all(n in tree.time_intervals for r in _routes(tree.root) for n in (*r.mute_time_intervals, *r.active_time_intervals))
    for case in ctx.derived.route_cases:
        got = routing.receivers(tree, case.labels)
        if set(got) != set(case.receivers):
            yield ctx.problem(
                case.loc,
                f'route test "{case.name}" ({case_name(case.labels)}): expected receivers '
                f"{', '.join(sorted(case.receivers))}; the routing tree sends it to {', '.join(got)}",
            )
        elif case.at is not None and known:  # unknown interval names: routing/intervals reports them
            held = sorted({r for r, ok in routing.delivered(tree, case.labels, case.at) if not ok})
            if held != sorted(set(case.muted)):
                yield ctx.problem(
                    case.loc,
                    f'route test "{case.name}" at {case.at.isoformat()}: expected muted: {", ".join(sorted(set(case.muted))) or "none"}; '
                    f"the routes' time intervals mute: {', '.join(held) or 'none'}",
                )
    where = {t.name: ("routing", "time_intervals", i) for i, t in reversed(list(enumerate(s.routing.time_intervals)))}
    for c in ctx.derived.interval_cases if known else ():
        got_ok = [ok for r, ok in routing.delivered(tree, c.labels, c.at) if r == c.receiver]
        if c.delivered not in got_ok:  # the rendered tree does not do what the interval says
            yield ctx.problem(where.get(c.interval, ("routing",)), f"generated case: {c.name} at {c.at.isoformat()}, but it is not")
    for name, message in ctx.derived.interval_skipped:
        yield ctx.problem(where.get(name, ("routing",)), f"{message}: not tested", Severity.WARNING)
    for i, t in enumerate(s.routing.inhibit_tests):
        rule = routing.muting_rule(tree, t.muted, [t.firing])
        name = t.name or f"{case_name(t.firing)} mutes {case_name(t.muted)}"
        if t.expect_muted and rule is None:
            yield ctx.problem(
                ("routing", "inhibit_tests", i),
                f'inhibition test "{name}": expected the firing alert {{{case_name(t.firing)}}} to mute '
                f"{{{case_name(t.muted)}}}, but no inhibit rule does",
            )
        elif not t.expect_muted and rule is not None:
            yield ctx.problem(
                ("routing", "inhibit_tests", i),
                f'inhibition test "{name}": expected {{{case_name(t.muted)}}} not to be muted, '
                f"but routing.inhibit[{rule}] mutes it while {{{case_name(t.firing)}}} fires",
            )
    for case in ctx.derived.inhibit_cases:
        rule = routing.muting_rule(tree, case.muted, [case.firing])
        if case.expect_muted and rule is None:
            yield ctx.problem(
                case.loc,
                f'inhibition test "{case.name}": expected {{{case_name(case.firing)}}} to mute '
                f"{{{case_name(case.muted)}}}, but no inhibit rule does",
            )
        elif not case.expect_muted and rule is not None:
            yield ctx.problem(
                case.loc,
                f'inhibition test "{case.name}": expected {{{case_name(case.muted)}}} not to be muted, '
                f"but routing.inhibit[{rule}] mutes it while {{{case_name(case.firing)}}} fires",
            )

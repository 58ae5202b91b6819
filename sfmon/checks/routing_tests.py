"""The spec's routing and inhibition tests, evaluated by sfmon against its own routing.

Routing cases are checked again by amtool in `sfmon validate`; inhibition has no amtool
command, so sfmon's evaluation (sfmon.semantics.routing) is the check."""

from __future__ import annotations

from typing import Iterator

from sfmon.semantics import routing
from sfmon.checks import Context, hint
from sfmon.problems import Problem, Severity
from sfmon.derive.route_cases import case_name


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
    for case in ctx.derived.route_cases:
        got = routing.receivers(tree, case.labels)
        if set(got) != set(case.receivers):
            yield ctx.problem(
                case.loc,
                f'route test "{case.name}" ({case_name(case.labels)}): expected receivers '
                f"{', '.join(sorted(case.receivers))}; the routing tree sends it to {', '.join(got)}",
            )
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

"""Rule tests for a raw `expr` over several series (a ratio of two gauges, `a - b > 30`,
`x > 80 and y > 0`, `a == 0 or b == 0`, `time() - ts > 60`): found by search, not inversion.

Every selector gets one input series with the target's labels (so one-to-one matching and
`and on(instance)` pair them), a gauge holding a level or a counter rising at a slope. A
bounded search over levels drawn from the expression's own constants finds a firing case:
levels at which the expression (evaluated as Prometheus does, sfmon.semantics.evaluate) gives
exactly one sample at every evaluation of the alert's `for`, its value as near a constant of
the expression as found (just past a threshold). From it, each series' level is changed alone,
by as little as the candidates allow, until the expression gives nothing: a quiet case per
series that decides the alert, so each comparison is shown to matter. No case is guessed: an expression the
evaluator cannot follow, or a search that finds nothing, leaves the alert unproven.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import Any, Iterator

from sfmon.semantics.names import selector_name
from sfmon.kinds.testgen import (
    Check,
    Group,
    Series,
    SeriesSelector,
    TestEnv,
    firing_check,
    make_series,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
)
from sfmon.semantics.evaluate import NAME, Evaluator, Input, NotEvaluable, matchers
from sfmon.semantics.promql import Segment, samples
from sfmon.semantics.units import fmt_number

_COUNTER_FUNCTIONS = {"rate", "irate", "increase", "resets", "changes"}
MAX_SERIES = 4  # more input series than this: not searched
MAX_EVALUATIONS = 10_000  # expression evaluations per alert, all cases together
MAX_SAMPLES = 4_000_000  # input samples those evaluations read, at most
MAX_VERIFIED = 50  # firing candidates checked over the whole `for`


class _Budget:
    """A count, not a clock: the cases found must not depend on the machine's speed."""

    def __init__(self, samples_per_evaluation: int) -> None:
        self.left = min(MAX_EVALUATIONS, MAX_SAMPLES // max(samples_per_evaluation, 1))

    def spend(self) -> bool:
        self.left -= 1
        return not self.exhausted()

    def exhausted(self) -> bool:
        return self.left < 0


def _reads(ast: Any) -> list[tuple[Any, bool]]:
    """(vector selector, read as a counter) for every selector, in order."""
    import promql_parser as p

    found: list[tuple[Any, bool]] = []

    def visit(node: Any, counter: bool, depth: int) -> None:
        if depth > 200:
            raise NotEvaluable("an expression nested too deeply")
        if isinstance(node, p.VectorSelector):
            found.append((node, counter))
        elif isinstance(node, p.MatrixSelector):
            found.append((node.vector_selector, counter))
        elif isinstance(node, p.Call):
            for arg in node.args:
                visit(arg, counter or node.func.name in _COUNTER_FUNCTIONS, depth + 1)
        else:
            for attr in ("expr", "lhs", "rhs", "param"):
                child = getattr(node, attr, None)
                if child is not None and not isinstance(child, (str, float, int)):
                    visit(child, counter, depth + 1)

    visit(ast, False, 0)
    return found


def _ranges_ms(ast: Any) -> list[int]:
    import promql_parser as p

    found: list[int] = []
    p.walk(ast, lambda n: found.append(int(n.range.total_seconds() * 1000)) if isinstance(n, p.MatrixSelector) else None, None)
    return found


def _constants(ast: Any) -> list[float]:
    import promql_parser as p

    found: list[float] = []
    p.walk(ast, lambda n: found.append(float(n.val)) if isinstance(n, p.NumberLiteral) else None, None)
    return found


def _thresholds(ast: Any) -> list[float]:
    """The constants a comparison compares with (80 in `x / y * 100 > 80`)."""
    import promql_parser as p

    found: list[float] = []

    def visit(n: Any) -> None:
        if isinstance(n, p.BinaryExpr) and str(n.op) in ("==", "!=", ">", "<", ">=", "<="):
            found.extend(float(side.val) for side in (n.lhs, n.rhs) if isinstance(side, p.NumberLiteral))

    p.walk(ast, visit, None)
    return found


def _levels(constants: list[float], at_s: float, counter: bool) -> list[Decimal]:
    """Candidate levels of one series: small numbers, the expression's constants and values
    around them (and around their products, for a ratio times 100), the evaluation time less
    each constant (for `time() - x`); the plainest first."""
    base = [0.0, 1.0, 2.0, 10.0, 100.0, 1000.0]
    near: list[float] = []
    cs = [c for c in constants if math.isfinite(c)]
    for c in cs:
        near += [c, c + 1, c - 1, c * 1.1, c * 0.9, c * 2, c / 2, -c, at_s - c * 1.1, at_s - c * 0.9]
    for a, b in itertools.combinations(cs, 2):
        if b:
            near += [a / b * 1.1, a / b * 0.9]
        near += [a * b * 1.1, a * b * 0.9]
    out: list[Decimal] = []
    for v in [*base, *near, 1e4, 1e6]:
        if not math.isfinite(v) or (counter and v < 0):
            continue
        d = Decimal(f"{v:.10g}")
        if d not in out:
            out.append(d)
    return out


def rule_tests(alert: Any, env: TestEnv, expr: str) -> tuple[list[Group], str | None]:
    """The alert's generated groups, and why there are none."""
    import promql_parser as p

    try:
        ast = p.parse(expr)
        reads = _reads(ast)
    except (ValueError, NotEvaluable) as exc:
        return [], f"sfmon cannot search it ({exc})"
    base = env.target_labels(alert.target_name())
    keys: dict[tuple[str, tuple[tuple[str, str], ...]], bool] = {}
    for node, counter in reads:
        name = selector_name(node)
        if not name:
            return [], "a selector names no metric"
        if name in env.recorded:
            return [], f"it reads the recorded series {name}"
        try:
            ms = tuple(m for m in matchers(node) if m.name != NAME)
        except NotEvaluable as exc:
            return [], str(exc)
        labels = solve_labels(base, SeriesSelector(name, ms))
        if labels is None:
            return [], f"no series labels satisfy {name}'s matchers"
        key = (name, tuple(sorted(labels.items())))
        keys[key] = keys.get(key, False) or counter
    if not keys:
        return [], "it reads no series"
    if len(keys) > MAX_SERIES:
        return [], f"it reads {len(keys)} series (sfmon searches at most {MAX_SERIES})"
    ranges = _ranges_ms(ast)
    step = series_interval(*ranges) if ranges else env.evaluation_interval_ms
    for_ms = alert.for_.ms
    at = settle_time(env, step, max(ranges, default=0), for_ms)
    names = list(keys)
    counters = [keys[k] for k in names]
    constants = _constants(ast)
    thresholds = _thresholds(ast)
    candidates = [_levels(constants, at / 1000, c) for c in counters]
    budget = _Budget(len(names) * (at // step + 3))
    # Evaluations the condition must hold at (firing) or fail at (quiet): `for` and
    # keep_firing_for back from `at`, on the group's evaluation grid.
    ev = env.evaluation_interval_ms
    firing_times = list(range(at - (for_ms // ev) * ev, at + 1, ev)) if for_ms else [at]
    keep = env.keep_firing_for_ms
    quiet_times = list(range(at - (keep // ev) * ev, at + 1, ev)) if keep else [at]

    def build_series(levels: tuple[Decimal, ...]) -> list[Series]:
        times = at // step + 2
        out = []
        for (name, labels), counter, level in zip(names, counters, levels):
            seg = Segment(Decimal(0), level, times) if counter else Segment(level, Decimal(0), times)
            out.append(make_series(name, dict(labels), seg))
        return out

    def outcome(levels: tuple[Decimal, ...], when: list[int]) -> list[list[tuple[dict[str, str], float]]] | None:
        series = build_series(levels)
        inputs = [Input(s.label_map(), samples(s.segments), step) for s in series]
        got = []
        for t in when:
            if not budget.spend():
                return None
            value = Evaluator(inputs, t).run(ast)
            got.append([({}, value)] if isinstance(value, float) else value)
        return got

    def fires(levels: tuple[Decimal, ...], when: list[int]) -> tuple[dict[str, str], float] | None:
        got = outcome(levels, when)
        if got is None or any(len(r) != 1 for r in got):
            return None
        labels, value = got[-1][0]
        return (labels, value) if math.isfinite(value) else None

    def quiet(levels: tuple[Decimal, ...]) -> bool:
        got = outcome(levels, quiet_times)
        return got is not None and all(not r for r in got)

    def closeness(value: float) -> float:
        """How near the expression's value is to one of its constants: the most telling
        firing case is just past a threshold (its quiet neighbour then just short of it)."""
        return min((abs(value - c) / max(abs(c), 1.0) for c in thresholds if math.isfinite(c)), default=0.0)

    try:
        hits = []
        for levels in itertools.product(*candidates):  # bounded by the budget
            if budget.exhausted():
                break
            hit = fires(levels, [at])
            if hit is not None:
                hits.append((closeness(hit[1]), len(hits), levels))
        found = None
        for _, _, levels in sorted(hits)[:MAX_VERIFIED]:
            hit = fires(levels, firing_times)
            if hit is not None:
                found = (levels, hit)
                break
        if found is None:
            return [], "sfmon's search over its series' levels found no firing case"
        fire_levels, (out, value) = found
        quiet_cases: list[tuple[int, tuple[Decimal, ...]]] = []
        for i, options in enumerate(candidates):
            # The smallest change of this one series that silences the alert.
            for level in sorted(options, key=lambda v: (abs(v - fire_levels[i]), v)):
                if level == fire_levels[i] or budget.exhausted():
                    continue
                changed = (*fire_levels[:i], level, *fire_levels[i + 1 :])
                if quiet(changed):
                    quiet_cases.append((i, changed))
                    break
        if not quiet_cases:  # no one series decides it (`a == 0 or b == 0`): any quiet levels
            for levels in itertools.product(*candidates):  # bounded by the budget
                if budget.exhausted():
                    break
                if levels != fire_levels and quiet(levels):
                    changed_at = next(i for i, (a, b) in enumerate(zip(levels, fire_levels)) if a != b)
                    quiet_cases.append((changed_at, levels))
                    break
    except NotEvaluable as exc:
        return [], f"sfmon cannot evaluate {exc}"
    if not quiet_cases:
        return [], "sfmon's search found no level of any series at which it stays quiet"
    rule = alert.alert_rule()

    def describe(levels: tuple[Decimal, ...]) -> str:
        return ", ".join(f"{n}{'/step' if c else ''}={fmt_number(v)}" for (n, _), c, v in zip(names, counters, levels))

    def build(with_firing: bool) -> Iterator[Group]:
        if with_firing:
            yield Group(
                f"{alert.name}: fires at {describe(fire_levels)}",
                alert.name,
                step,
                tuple(build_series(fire_levels)),
                (firing_check(rule, at, out, value, env),),
            )
        for i, levels in quiet_cases:
            yield Group(
                f"{alert.name}: stays quiet at {describe(levels)}",
                alert.name,
                step,
                tuple(build_series(levels)),
                (Check(at),),
            )

    return safe_groups(env, alert, build), None

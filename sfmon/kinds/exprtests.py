"""Rule tests for a raw `expr` whose top-level form sfmon can compute: a comparison of one
series' value, through the functions and operators below, with a constant.

    <vector> (> | < | >= | <= | == | !=) <number>        (or the number first)
    <vector> := selector | rate/irate/increase(selector[range])
              | sum/avg/max/min [by|without (...)] (<vector>)
              | <vector> (+ - * /) <number> | <number> (+ - * /) <vector> | -<vector> | (<vector>)

There is exactly one selector, so one input series: every aggregation of it is its value,
and the arithmetic is a chain of scalar steps sfmon inverts to find the raw value that puts
the left side just past (fires) or short of (quiet) the constant. Each candidate is then
computed forward with Prometheus' own float operations (sfmon.semantics.promql) and kept
only if the comparison comes out as intended, so the expected `$value` is exact. Anything
else goes to sfmon.kinds.exprsearch, which searches for cases over several series; what
neither handles returns a reason and no tests: the alert is reported unproven.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Iterator

from sfmon.semantics import names
from sfmon.kinds.testgen import (
    Check,
    Group,
    SeriesSelector,
    TestEnv,
    constant,
    counter,
    firing_check,
    make_series,
    safe_groups,
    series_interval,
    settle_time,
    solve_labels,
)
from sfmon.semantics.gofmt import go_float
from sfmon.semantics.promql import extrapolated_rate, gauge, samples, window
from sfmon.semantics.units import fmt_number

COMPARISONS = {">", "<", ">=", "<=", "==", "!="}
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
_ARITH = {"+", "-", "*", "/"}
_COUNTER_FUNCS = {"rate", "irate", "increase"}
_AGGREGATIONS = {"sum", "avg", "max", "min"}


class NotModelled(Exception):
    """Why sfmon cannot compute this expression."""


@dataclass(frozen=True)
class Step:
    """One scalar step on the way up from the series: y = y op k (or k op y when `left`)."""

    op: str
    k: float
    left: bool

    def forward(self, y: float) -> float | None:
        a, b = (self.k, y) if self.left else (y, self.k)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        if b == 0:  # float division as Go does it: x/0 is ±Inf, 0/0 NaN
            return math.copysign(math.inf, a) * math.copysign(1, b) if a and not math.isnan(a) else math.nan
        return a / b

    def backward(self, v: Fraction) -> Fraction | None:
        k = Fraction(self.k)
        if self.op == "+":
            return v - k
        if self.op == "-":
            return k - v if self.left else v + k
        if self.op == "*":
            return v / k if k else None
        if self.left:  # v = k / y
            return k / v if v else None
        if not k:  # v = y / 0 is ±Inf with y's sign: aim at the sign
            return Fraction((v > 0) - (v < 0))
        return v * k


@dataclass(frozen=True)
class Shape:
    """What the expression does to its one series."""

    op: str  # the comparison, with the series on the left
    threshold: float
    selector: str  # the selector as written, e.g. up{job="api"}
    func: str | None  # rate, irate, increase or None (a gauge)
    range_ms: int  # the range of `func`
    steps: tuple[Step, ...]  # bottom-up
    label_steps: tuple[tuple[str, tuple[str, ...]], ...]  # bottom-up: ("drop_name", ()), ("by", L), ("without", L)
    by: tuple[str, ...]  # labels an aggregation keeps, which the series must carry

    def out_labels(self, series: dict[str, str]) -> dict[str, str]:
        labels = dict(series)
        for kind, names in self.label_steps:
            if kind == "drop_name":
                labels.pop("__name__", None)
            elif kind == "by":
                labels = {k: labels[k] for k in names if labels.get(k)}
            else:
                labels = {k: v for k, v in labels.items() if k not in names and k != "__name__"}
        return labels


def shape_of(expr: str) -> Shape:
    """The expression's shape, or NotModelled with the reason."""
    import promql_parser as pp

    ast = _unparen(pp.parse(expr))
    if type(ast).__name__ != "BinaryExpr" or str(ast.op) not in COMPARISONS:
        raise NotModelled("its top level is not a comparison with a constant")
    mod = ast.modifier
    if mod is not None and mod.return_bool:
        raise NotModelled("a comparison with `bool` returns a sample either way, so the alert always fires")
    if mod is not None and mod.matching is not None:
        raise NotModelled("the comparison has on()/ignoring()")
    op = str(ast.op)
    lhs, rhs = _unparen(ast.lhs), _unparen(ast.rhs)
    if _number(rhs) is not None:
        vector, threshold = lhs, _number(rhs)
    elif _number(lhs) is not None:
        vector, threshold, op = rhs, _number(lhs), _FLIP[op]
    else:
        raise NotModelled("it compares two expressions, not one with a constant")
    assert threshold is not None
    steps: list[Step] = []
    labels: list[tuple[str, tuple[str, ...]]] = []
    by: list[str] = []
    node = vector
    for _ in range(100):  # bounded: one level per loop
        kind = type(node).__name__
        if kind == "ParenExpr":
            node = node.expr
        elif kind == "UnaryExpr":
            steps.append(Step("*", -1.0, False))
            labels.append(("drop_name", ()))
            node = node.expr
        elif kind == "BinaryExpr":
            o = str(node.op)
            if o not in _ARITH or (node.modifier is not None and (node.modifier.return_bool or node.modifier.matching is not None)):
                raise NotModelled(f"it uses `{o}` below the comparison")
            a, b = _unparen(node.lhs), _unparen(node.rhs)
            if _number(b) is not None:
                steps.append(Step(o, _number(b), False))  # type: ignore[arg-type]
                node = a
            elif _number(a) is not None:
                steps.append(Step(o, _number(a), True))  # type: ignore[arg-type]
                node = b
            else:
                raise NotModelled("it combines two series (sfmon models one series and constants)")
            labels.append(("drop_name", ()))
        elif kind == "AggregateExpr":
            name = str(node.op)
            if name not in _AGGREGATIONS or node.param is not None:
                raise NotModelled(f"it aggregates with {name}")
            m = node.modifier
            if m is not None and "Without" in str(m.type):
                labels.append(("without", tuple(m.labels)))
            else:
                names = tuple(m.labels) if m is not None else ()
                labels.append(("by", names))
                by.extend(names)
            node = node.expr
        elif kind == "Call":
            fn = node.func.name
            if fn not in _COUNTER_FUNCS:
                raise NotModelled(f"it calls {fn}()")
            (arg,) = node.args
            if type(arg).__name__ != "MatrixSelector":
                raise NotModelled(f"{fn}() of a subquery")
            labels.append(("drop_name", ()))
            sel = arg.vector_selector
            _plain(sel)
            rng = int(arg.range.total_seconds() * 1000)
            return Shape(op, threshold, _text(sel), fn, rng, tuple(reversed(steps)), tuple(reversed(labels)), tuple(by))
        elif kind == "VectorSelector":
            _plain(node)
            return Shape(op, threshold, _text(node), None, 0, tuple(reversed(steps)), tuple(reversed(labels)), tuple(by))
        else:
            raise NotModelled(f"it uses {kind}")
    raise NotModelled("it nests too deeply")  # pragma: no cover


def _unparen(node: Any) -> Any:
    for _ in range(100):
        if type(node).__name__ != "ParenExpr":
            return node
        node = node.expr
    return node  # pragma: no cover


def _number(node: Any) -> float | None:
    node = _unparen(node)
    if type(node).__name__ == "NumberLiteral":
        return float(node.val)
    if type(node).__name__ == "UnaryExpr" and type(_unparen(node.expr)).__name__ == "NumberLiteral":
        return -float(_unparen(node.expr).val)
    return None


def _plain(sel: Any) -> None:
    if sel.offset is not None or sel.at is not None:
        raise NotModelled("its selector uses offset or @")
    if sel.matchers.or_matchers:
        raise NotModelled("its selector uses `or` between matchers")
    if names.selector_name(sel) is None:
        raise NotModelled("its selector names no metric")


def _text(sel: Any) -> str:
    ops = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
    inner = (names.matcher(m.name, ops[str(m.op)], m.value) for m in sel.matchers.matchers if m.name != "__name__")
    return names.series(names.selector_name(sel), inner)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _targets(op: str, c: Fraction) -> tuple[list[Fraction], list[Fraction]]:
    """Values of the left side to aim at: (firing, quiet), the most telling first."""
    d = abs(c) / 10 if c else Fraction(1)
    above, below = c + d, c - d
    return {
        ">": ([above], [c, below]),
        ">=": ([c, above], [below]),
        "<": ([below], [c, above]),
        "<=": ([c, below], [above]),
        "==": ([c], [above, below]),
        "!=": ([above, below], [c]),
    }[op]


def rule_tests(alert: Any, env: TestEnv, expr: str) -> tuple[list[Group], str | None]:
    """The alert's generated groups, and why there are none when sfmon cannot build them."""
    try:
        shape = shape_of(expr)
    except NotModelled as exc:
        # Not one series and constants: search for cases over all its series instead.
        from sfmon.kinds import exprsearch

        groups, why = exprsearch.rule_tests(alert, env, expr)
        return groups, (f"{exc}; over all its series: {why}" if why else None)
    except ValueError as exc:  # pragma: no cover - the model already parsed it
        return [], str(exc)
    sel = SeriesSelector.parse(shape.selector)
    labels = solve_labels(env.target_labels(alert.target_name()), sel, present=shape.by)
    if labels is None:
        return [], f"no series labels satisfy {shape.selector}"
    counting = shape.func is not None
    step = series_interval(shape.range_ms) if counting else env.evaluation_interval_ms
    at = settle_time(env, step, shape.range_ms, alert.for_.ms)
    rule = alert.alert_rule()
    out = shape.out_labels({"__name__": sel.name, **labels})
    c = Fraction(shape.threshold)
    fire_at, quiet_at = _targets(shape.op, c)

    def attempt(v: Fraction) -> tuple[Any, float] | None:
        """A series whose left side computes to a value near `v`, and that value."""
        raw: Fraction | None = v
        for s in reversed(shape.steps):  # top-down: undo each scalar step
            raw = s.backward(raw)  # type: ignore[arg-type]
            if raw is None:
                return None
        return series_for(raw)  # type: ignore[arg-type]

    def series_for(raw: Fraction) -> tuple[Any, float] | None:
        x = _decimal(raw)
        if counting:
            if x < 0:
                return None  # a counter's rate cannot be negative
            per_sample = x * step / 1000 if shape.func != "increase" else x * Decimal(step) / Decimal(shape.range_ms)
            seg = counter(per_sample, at, step)
        else:
            seg = constant(x, at, step)
        series = make_series(sel.name, labels, seg)
        value = _raw_value(shape, samples(series.segments), step, at)
        if value is None:
            return None
        for s in shape.steps:
            value = s.forward(value)  # type: ignore[assignment]
            if value is None:
                return None
        return series, value

    def pick(candidates: list[Fraction], fires: bool) -> tuple[Any, float] | None:
        tries = [lambda v=v: attempt(v) for v in candidates]
        if counting:  # last: a counter that does not move (its rate and increase are 0)
            tries.append(lambda: series_for(Fraction(0)))
        for attempt_one in tries:
            got = attempt_one()
            if got is not None and _COMPARE[shape.op](got[1], shape.threshold) is fires:
                return got
        return None

    def group(found: tuple[Any, float], fires: bool) -> Group:
        series, value = found
        check = firing_check(rule, at, out, value, env) if fires else Check(at)
        verb = "fires" if fires else "stays quiet"
        return Group(
            f"{alert.name}: {verb} at {_show(value)} (expr {shape.op} {_show(shape.threshold)})",
            alert.name,
            step,
            (series,),
            (check,),
        )

    firing, quiet = pick(fire_at, True), pick(quiet_at, False)

    def build(with_firing: bool) -> Iterator[Group]:
        if firing is not None and with_firing:
            yield group(firing, True)
        if quiet is not None:
            yield group(quiet, False)

    groups = safe_groups(env, alert, build)
    missing = [w for w, f in (("firing", firing), ("quiet", quiet)) if f is None]
    return groups, (f"sfmon found no {' or '.join(missing)} value for it" if missing else None)


def _raw_value(shape: Shape, xs: list[float], step: int, at: int) -> float | None:
    if shape.func is None:
        return gauge(xs, step, at)
    points = window(xs, step, at, shape.range_ms)
    if shape.func == "irate":
        if len(points) < 2:
            return None
        (t0, v0), (t1, v1) = points[-2], points[-1]
        delta = v1 - v0 if v1 >= v0 else v1  # a reset: irate takes the new value
        return delta / ((t1 - t0) / 1000)
    return extrapolated_rate(points, at, shape.range_ms, True, shape.func == "rate")


def _decimal(v: Fraction) -> Decimal:
    """A short decimal near `v` (the forward computation decides what it gives exactly)."""
    exact = Decimal(v.numerator) / Decimal(v.denominator)
    return Decimal(f"{exact:.12g}")


def _show(v: float) -> str:
    if math.isinf(v) or math.isnan(v):
        return go_float(v)
    return fmt_number(Decimal(repr(v)))

"""An instant query, evaluated as Prometheus 2.42 evaluates it, over a few known series.

Generated recording rule tests expect the exact float a rule records, so only the PromQL
whose arithmetic sfmon can follow step for step is evaluated: selectors, rate / increase /
delta and max_over_time / min_over_time over a selector, time(), sum / min / max / count /
avg with by or without, arithmetic and comparisons between numbers and one-to-one vectors,
the set operators and / or / unless (with on or ignoring), parentheses and negation.
Anything else raises NotEvaluable, and the rule is reported as unproven instead of guessed.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from sfmon.semantics.names import selector_name
from sfmon.semantics.matchers import Matcher
from sfmon.semantics.promql import extrapolated_rate, window

LOOKBACK_MS = 300_000
NAME = "__name__"


class NotEvaluable(Exception):
    """The expression uses something sfmon does not evaluate (the message says what)."""


@dataclass(frozen=True)
class Input:
    """A series as promtool loads it: labels (with __name__), one value per `interval_ms`."""

    labels: Mapping[str, str]
    values: Sequence[float]
    interval_ms: int


Sample = tuple[dict[str, str], float]
# A recorded series read back: name -> its samples at the evaluation time.
Recorded = Mapping[str, Callable[[], list[Sample]]]

_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def matchers(node: Any) -> list[Matcher]:
    """A selector's matchers, its name as a `__name__` matcher; `or` matchers are refused."""
    if node.matchers.or_matchers:
        raise NotEvaluable("a selector with `or` matchers")
    out = [Matcher(m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers]
    if node.name:
        out.append(Matcher(NAME, "=", node.name))
    return out


def _selected(node: Any, series: Sequence[Input]) -> list[Input]:
    if node.offset is not None or node.at is not None:
        raise NotEvaluable("offset or @")
    ms = matchers(node)
    picked = [s for s in series if all(m.matches(s.labels) for m in ms)]
    return sorted(picked, key=lambda s: sorted(s.labels.items()))  # storage order


def _arith(op: str) -> Callable[[float, float], float]:
    def div(a: float, b: float) -> float:
        if b == 0:
            return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
        return a / b

    def mod(a: float, b: float) -> float:
        return math.fmod(a, b) if b != 0 else math.nan

    table: dict[str, Callable[[float, float], float]] = {
        "+": operator.add, "-": operator.sub, "*": operator.mul, "/": div, "%": mod, "^": lambda a, b: math.pow(a, b),
    }  # fmt: skip
    return table[op]


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
}  # fmt: skip


def _without_name(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k != NAME}


class Evaluator:
    def __init__(self, series: Sequence[Input], at_ms: int, recorded: Recorded | None = None):
        self.series = series
        self.at_ms = at_ms
        self.recorded = recorded or {}

    def run(self, node: Any) -> float | list[Sample]:
        import promql_parser as p

        if isinstance(node, p.NumberLiteral):
            return float(node.val)
        if isinstance(node, p.ParenExpr):
            return self.run(node.expr)
        if isinstance(node, p.UnaryExpr):
            value = self.run(node.expr)
            if isinstance(value, float):
                return -value
            return [(_without_name(labels), -v) for labels, v in value]
        if isinstance(node, p.VectorSelector):
            return self.instant(node)
        if isinstance(node, p.Call):
            return self.call(node)
        if isinstance(node, p.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, p.BinaryExpr):
            return self.binary(node)
        raise NotEvaluable(type(node).__name__)

    def instant(self, node: Any) -> list[Sample]:
        name = selector_name(node)
        if name in self.recorded:
            ms = matchers(node)
            return [(labels, v) for labels, v in self.recorded[name]() if all(m.matches(labels) for m in ms)]
        out = []
        for s in _selected(node, self.series):
            seen = [v for i, v in enumerate(s.values) if self.at_ms - LOOKBACK_MS < i * s.interval_ms <= self.at_ms]
            if seen:
                out.append((dict(s.labels), seen[-1]))
        return out

    def call(self, node: Any) -> list[Sample]:
        import promql_parser as p

        name = node.func.name
        if name == "time" and not node.args:
            return self.at_ms / 1000  # type: ignore[return-value]  # a scalar, as in Prometheus
        if name in ("max_over_time", "min_over_time") and len(node.args) == 1 and isinstance(node.args[0], p.MatrixSelector):
            return self._over_time(name, node.args[0])
        if name not in ("rate", "increase", "delta") or len(node.args) != 1 or not isinstance(node.args[0], p.MatrixSelector):
            raise NotEvaluable(f"the function {name}()")
        vs = node.args[0].vector_selector
        if selector_name(vs) in self.recorded:
            raise NotEvaluable("a range over a recorded series")
        range_ms = int(node.args[0].range.total_seconds() * 1000)
        out = []
        for s in _selected(vs, self.series):
            points = window(s.values, s.interval_ms, self.at_ms, range_ms)
            value = extrapolated_rate(points, self.at_ms, range_ms, name != "delta", name == "rate")
            if value is not None:
                out.append((_without_name(s.labels), value))
        return out

    def _over_time(self, name: str, matrix: Any) -> list[Sample]:
        vs = matrix.vector_selector
        if selector_name(vs) in self.recorded:
            raise NotEvaluable("a range over a recorded series")
        range_ms = int(matrix.range.total_seconds() * 1000)
        pick = max if name == "max_over_time" else min
        out = []
        for s in _selected(vs, self.series):
            points = window(s.values, s.interval_ms, self.at_ms, range_ms)
            if points:
                if any(math.isnan(v) for _, v in points):
                    raise NotEvaluable(f"{name}() over NaN")
                out.append((_without_name(s.labels), pick(v for _, v in points)))
        return out

    def aggregate(self, node: Any) -> list[Sample]:
        op = str(node.op)
        if op not in ("sum", "min", "max", "count", "avg") or node.param is not None:
            raise NotEvaluable(f"the aggregation {op}")
        value = self.run(node.expr)
        if isinstance(value, float):
            raise NotEvaluable("an aggregation of a number")
        mod = node.modifier
        by = mod is None or str(mod.type).endswith("By")
        names = list(mod.labels) if mod is not None else []
        groups: dict[tuple[tuple[str, str], ...], list[float]] = {}
        for labels, v in value:
            if by:
                key = {k: labels[k] for k in names if labels.get(k)}
            else:
                key = {k: x for k, x in labels.items() if k not in names and k != NAME}
            groups.setdefault(tuple(sorted(key.items())), []).append(v)
        return [(dict(key), _fold(op, vs)) for key, vs in groups.items()]

    def binary(self, node: Any) -> float | list[Sample]:
        op = str(node.op)
        mod = node.modifier
        returns_bool = bool(mod is not None and mod.return_bool)
        if op in ("and", "or", "unless"):
            return self._set_op(op, node, mod)
        if op not in _COMPARE and op not in ("+", "-", "*", "/", "%", "^"):
            raise NotEvaluable(f"the operator {op}")
        lhs, rhs = self.run(node.lhs), self.run(node.rhs)
        if isinstance(lhs, float) and isinstance(rhs, float):
            if op in _COMPARE:
                if not returns_bool:
                    raise NotEvaluable("a comparison of two numbers without bool")
                return 1.0 if _COMPARE[op](lhs, rhs) else 0.0
            return _arith(op)(lhs, rhs)
        if isinstance(lhs, float) or isinstance(rhs, float):
            return self._with_scalar(op, lhs, rhs, returns_bool)
        return self._one_to_one(op, lhs, rhs, mod, returns_bool)  # type: ignore[arg-type]

    def _set_op(self, op: str, node: Any, mod: Any) -> list[Sample]:
        """engine.go VectorAnd / VectorOr / VectorUnless: samples are matched by their labels
        (without __name__), or by the `on` labels only, or without the `ignoring` ones; the
        samples kept keep their labels and values as they are."""
        lhs, rhs = self.run(node.lhs), self.run(node.rhs)
        if isinstance(lhs, float) or isinstance(rhs, float):
            raise NotEvaluable(f"`{op}` with a number")  # the parser refuses it too
        matching = mod.matching if mod is not None else None
        on = matching is not None and str(matching.type).endswith("Include")
        names = set(matching.labels) if matching is not None else set()

        def signature(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
            if on:
                return tuple(sorted((k, v) for k, v in labels.items() if k in names))
            return tuple(sorted((k, v) for k, v in labels.items() if k not in names and k != NAME))

        right = {signature(labels) for labels, _ in rhs}
        if op == "and":
            return [(dict(labels), v) for labels, v in lhs if signature(labels) in right]
        if op == "unless":
            return [(dict(labels), v) for labels, v in lhs if signature(labels) not in right]
        left = {signature(labels) for labels, _ in lhs}
        return [(dict(labels), v) for labels, v in lhs] + [(dict(labels), v) for labels, v in rhs if signature(labels) not in left]

    def _with_scalar(self, op: str, lhs: Any, rhs: Any, returns_bool: bool) -> list[Sample]:
        swap = isinstance(lhs, float)
        vector, scalar = (rhs, lhs) if swap else (lhs, rhs)
        out = []
        for labels, v in vector:
            lv, rv = (scalar, v) if swap else (v, scalar)
            if op in _COMPARE:
                keep = _COMPARE[op](lv, rv)
                value = v  # the vector's own value, on either side
                if returns_bool:
                    out.append((_without_name(labels), 1.0 if keep else 0.0))
                elif keep:
                    out.append((dict(labels), value))
            else:
                out.append((_without_name(labels), _arith(op)(lv, rv)))
        return out

    def _one_to_one(self, op: str, lhs: list[Sample], rhs: list[Sample], mod: Any, returns_bool: bool) -> list[Sample]:
        matching = mod.matching if mod is not None else None
        if mod is not None and "OneToOne" not in str(mod.card):
            raise NotEvaluable("group_left / group_right")
        on = matching is not None and str(matching.type).endswith("Include")
        names = list(matching.labels) if matching is not None else []

        def signature(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
            if on:
                return tuple(sorted((k, v) for k, v in labels.items() if k in names))
            return tuple(sorted((k, v) for k, v in labels.items() if k not in names and k != NAME))

        right: dict[tuple[tuple[str, str], ...], float] = {}
        for labels, v in rhs:
            key = signature(labels)
            if key in right:
                raise NotEvaluable("many-to-many matching")
            right[key] = v
        out, seen = [], set()
        for labels, v in lhs:
            key = signature(labels)
            if key not in right:
                continue
            rv = right[key]
            metric = dict(labels)
            if op not in _COMPARE or returns_bool:
                metric.pop(NAME, None)
            if on:
                metric = {k: x for k, x in metric.items() if k in names}  # Keep(on...) drops __name__ too
            else:
                metric = {k: x for k, x in metric.items() if k not in names}
            if op in _COMPARE:
                keep = _COMPARE[op](v, rv)
                if returns_bool:
                    value = 1.0 if keep else 0.0
                elif keep:
                    value = v
                else:
                    continue
            else:
                value = _arith(op)(v, rv)
            ident = tuple(sorted(metric.items()))
            if ident in seen:
                raise NotEvaluable("one-to-one matching with several matches")
            seen.add(ident)
            out.append((metric, value))
        return out


# promtool loads test series through a Go map, so the order in which an aggregation reads
# them changes from run to run (seen: one sum of six values gave two results in six runs).
# A sum or mean is predicted only when every order gives the same float.
MAX_ORDERS_CHECKED = 6  # values per group: 720 orders at most


def _fold(op: str, values: list[float]) -> float:
    """One group of an aggregation as Prometheus 2.42 folds it, whatever the series order."""
    if op == "count":
        return float(len(values))
    if op in ("sum", "avg") and len(values) > 1:
        import itertools

        if len(values) > MAX_ORDERS_CHECKED:
            if not all(v.is_integer() and abs(v) < 2**52 for v in values) or op == "avg":
                raise NotEvaluable(f"a {op} of {len(values)} series, whose value depends on the order Prometheus reads them in")
        else:
            results = {r for p in itertools.permutations(values) for r in _orders(op, list(p))}
            if len(results) > 1:
                raise NotEvaluable(f"a {op} whose value depends on the order Prometheus reads the series in")
            return results.pop()
    return _fold_in_order(op, values)


def _orders(op: str, values: list[float]) -> set[float]:
    """The folds of one order. For avg, both incremental means Prometheus 2.x has used
    (mean += (v - mean) / n, and mean += v/n - mean/n): promtool's random series order
    cannot tell which 2.42 runs, so a mean is predicted only where both agree."""
    if op != "avg":
        return {_fold_in_order(op, values)}
    split, count = values[0], 1.0
    for v in values[1:]:
        count += 1
        split += v / count - split / count
    return {_fold_in_order(op, values), split}


def _fold_in_order(op: str, values: list[float]) -> float:
    acc = values[0]
    if op == "avg":
        count = 1.0
        for v in values[1:]:
            count += 1
            if math.isinf(acc) or math.isinf(v):
                raise NotEvaluable("an average with infinities")
            # an incremental mean, not sum / count (see _orders)
            acc += (v - acc) / count
        return acc
    for v in values[1:]:
        if op == "sum":
            acc += v
        elif op == "min" and (acc > v or math.isnan(acc)):
            acc = v
        elif op == "max" and (acc < v or math.isnan(acc)):
            acc = v
    return acc


def evaluate(expr: str, series: Sequence[Input], at_ms: int, recorded: Recorded | None = None) -> list[Sample]:
    """The instant vector `expr` gives at `at_ms` (a number comes back as one unlabelled sample)."""
    import promql_parser

    value = Evaluator(series, at_ms, recorded).run(promql_parser.parse(expr))
    if isinstance(value, float):
        return [({}, value)]
    return value

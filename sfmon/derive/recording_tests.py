"""Generated tests of the recording rules: promtool `promql_expr_test` cases.

For each recording rule: one input series per selector its expression reads (labels that
satisfy the selector; counters rise, gauges hold), an evaluation time by which every rate
window is full and on the group's evaluation grid, and the series the rule records there:
its name, its exact labels and the float value Prometheus computes
(sfmon.semantics.evaluate). A rule whose value sfmon cannot predict is not guessed: it is
reported as unproven.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterator

from sfmon.kinds.testgen import (
    ExpectedSample, ExprCheck, Group, Series, SeriesSelector, TestEnv, make_series, series_interval, settle_time, solve_labels,
)  # fmt: skip
from sfmon.semantics import names
from sfmon.semantics.evaluate import NAME, Input, NotEvaluable, Sample, evaluate, matchers
from sfmon.semantics.promql import Segment, TooManySamples, samples

# The labels a scraped series carries when the rule names no job or instance.
BASE_LABELS = {"job": "example", "instance": "example:9100"}
_RANGE_FUNCTIONS = ("rate", "increase", "delta", "irate", "idelta", "resets", "changes")


@dataclass(frozen=True)
class Outcome:
    """One recording rule's generated test group, or why there is none."""

    index: int
    group: Group | None
    unproven: str | None = None


def selectors(expr: str) -> list[tuple[Any, bool]]:
    """(vector selector, read as a counter) for every selector in `expr`, in order."""
    import promql_parser

    found: list[tuple[Any, bool]] = []

    def visit(node: Any, counter: bool) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append((node, counter))
            return
        if isinstance(node, promql_parser.MatrixSelector):
            found.append((node.vector_selector, counter))
            return
        if isinstance(node, promql_parser.Call):
            for arg in node.args:
                visit(arg, counter or node.func.name in _RANGE_FUNCTIONS)
            return
        for attr in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, float, int)):
                visit(child, counter)

    visit(promql_parser.parse(expr), False)
    return found


def read_names(expr: str) -> set[str]:
    """The metric names `expr` reads by name (no regex): what a recording rule depends on."""
    return {n for node, _ in selectors(expr) if (n := names.selector_name(node))}  # bare or quoted


def windows_ms(expr: str) -> list[int]:
    import promql_parser

    found: list[int] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.MatrixSelector):
            found.append(int(node.range.total_seconds() * 1000))

    promql_parser.walk(promql_parser.parse(expr), lambda n: visit(n), None)
    return found


class _Recordings:
    """The spec's recording rules as a dependency graph, each predicted once."""

    def __init__(self, spec: Any, env_for_group: Callable[[str], TestEnv]):
        self.spec = spec
        self.rules = list(spec.recording_rules)
        self.group_of = [r.group or spec.project for r in self.rules]
        self.by_name: dict[str, list[int]] = {}
        for i, r in enumerate(self.rules):
            self.by_name.setdefault(r.record, []).append(i)
        self.env_for_group = env_for_group

    def deps(self, i: int) -> set[str]:
        return read_names(self.rules[i].expr) & set(self.by_name)

    def closure(self, i: int) -> list[int]:
        """The rules `i` reads, transitively, before `i`; raises NotEvaluable when one is
        recorded in another group, later in the group, or twice: then the value it reads is
        from an earlier evaluation, which sfmon does not predict."""
        order: list[int] = []
        stack = [i]
        seen = {i}
        while stack:  # bounded: each rule enters once
            j = stack.pop()
            for name in sorted(self.deps(j)):
                defs = self.by_name[name]
                if len(defs) > 1:
                    raise NotEvaluable(f"it reads {name}, which {len(defs)} recording rules write")
                (k,) = defs
                if self.group_of[k] != self.group_of[j] or k >= j:
                    raise NotEvaluable(
                        f"it reads {name}, recorded {'in another group' if self.group_of[k] != self.group_of[j] else 'after it in its group'}: "
                        "Prometheus reads the value of an earlier evaluation there"
                    )
                if k not in seen:
                    seen.add(k)
                    order.append(k)
                    stack.append(k)
        return order

    def outcome(self, i: int) -> Outcome:
        rule = self.rules[i]
        try:
            return Outcome(i, self._group(i))
        except NotEvaluable as exc:
            return Outcome(i, None, f"recording rule {rule.record} is unproven: sfmon cannot predict its value ({exc})")
        except TooManySamples as exc:
            return Outcome(i, None, f"recording rule {rule.record} is unproven: its test would load {exc}")

    def _group(self, i: int) -> Group:
        rule = self.rules[i]
        group = self.group_of[i]
        env = self.env_for_group(group)
        chain = [*self.closure(i), i]
        reads = [(node, counter) for j in chain for node, counter in selectors(self.rules[j].expr) if names.selector_name(node) not in self.by_name]
        windows = [w for j in chain for w in windows_ms(self.rules[j].expr)]
        step = series_interval(*windows) if windows else series_interval()
        at = settle_time(env, step, max(windows, default=0), 0)
        series = _input_series(reads, at, step)
        inputs = [Input(s.label_map(), samples(s.segments), step) for s in series]

        memo: dict[int, list[Sample]] = {}

        def recorded(j: int) -> list[Sample]:
            if j not in memo:
                memo[j] = _recorded(self.rules[j], evaluate(self.rules[j].expr, inputs, at, readers))
            return memo[j]

        readers = {self.rules[j].record: (lambda j=j: recorded(j)) for j in chain if j != i}
        out = recorded(i)
        if not out:
            raise NotEvaluable("it records nothing from the generated series")
        limit = self.spec.rule_groups.get(group).limit if group in self.spec.rule_groups else None
        if limit and len(out) > limit:
            raise NotEvaluable(f"the generated series make {len(out)} series, over the group's limit {limit}")
        expected = tuple(ExpectedSample(_series_text(labels), value) for labels, value in sorted(out, key=lambda s: sorted(s[0].items())))
        check = ExprCheck(names.selector(rule.record), at, expected)  # a UTF-8 name is read quoted
        return Group(f"recording rule {rule.record} (recording_rules[{i}])", "", step, tuple(series), (), (check,))


def _input_series(reads: list[tuple[Any, bool]], at_ms: int, step_ms: int) -> list[Series]:
    """One series per selector (shared when a selector's labels are another's); each has its
    own slope or level, so sums and ratios of them are not trivially 1."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], bool] = {}
    for node, counter in reads:
        name = names.selector_name(node)
        if not name:
            raise NotEvaluable("a selector without a metric name")
        ms = tuple(m for m in matchers(node) if m.name != NAME)
        labels = solve_labels(BASE_LABELS, SeriesSelector(name, ms), present=())
        if labels is None:
            raise NotEvaluable(f"no series satisfies {name}'s matchers")
        key = (name, tuple(sorted(labels.items())))
        out[key] = out.get(key, False) or counter
    built = []
    times = at_ms // step_ms + 2
    for k, ((name, labels), counter) in enumerate(out.items(), 1):
        segment = Segment(Decimal(0), Decimal(k), times) if counter else Segment(Decimal(k), Decimal(0), times)
        built.append(make_series(name, dict(labels), segment))
    return built


def _recorded(rule: Any, result: list[Sample]) -> list[Sample]:
    """What a recording rule stores from its expression's result: the record's name, the
    rule's labels (an empty value removes the label); duplicates fail the evaluation."""
    out, seen = [], set()
    for labels, value in result:
        if not math.isfinite(value):
            raise NotEvaluable(f"its value is {value}")
        merged = {k: v for k, v in labels.items() if k != NAME}
        for k, v in rule.labels.items():
            if v == "":
                merged.pop(k, None)
            else:
                merged[k] = v
        merged[NAME] = rule.record
        key = tuple(sorted(merged.items()))
        if key in seen:
            raise NotEvaluable("two of its series have the same labels")
        seen.add(key)
        out.append((merged, value))
    return out


def _series_text(labels: dict[str, str]) -> str:
    return names.series(labels[NAME], (names.matcher(k, "=", v) for k, v in sorted(labels.items()) if k != NAME))


def recording_tests(spec: Any, env_for_group: Callable[[str], TestEnv]) -> Iterator[Outcome]:
    recordings = _Recordings(spec, env_for_group)
    for i in range(len(recordings.rules)):
        yield recordings.outcome(i)

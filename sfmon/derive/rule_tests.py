"""The promtool rule tests of a spec: generated from each alert's kind, plus the spec's own.

Pure, built once per run into sfmon.derive.Derived: the render stage lays the groups out
with templates/tests/alerts.test.yml.j2, the `rules/tests` check reports the cases that could
not be built, `sfmon validate` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfmon.semantics.gotemplate import Unsupported, expand
from sfmon.kinds.testgen import Check, ExpectedAlert, Group, RawSeries, TestEnv, expected_labels
from sfmon.model import Spec
from sfmon.problems import Severity

@dataclass(frozen=True)
class Note:
    """A case sfmon left out or cannot build, placed at a spec location."""

    loc: tuple[Any, ...]
    message: str
    severity: Severity


@dataclass(frozen=True)
class RuleTests:
    groups: tuple[Group, ...] = ()
    notes: tuple[Note, ...] = ()
    # Generated tests of alerts whose `for` and window span more than MAX_STEPS evaluations
    # at the spec's interval: their own file, evaluated every `long_interval_ms`.
    long: tuple[Group, ...] = ()
    long_interval_ms: int = 0

    def cases(self) -> int:
        return sum(len(g.checks) for g in (*self.groups, *self.long))


# Evaluations per test group. promtool evaluates every rule of a test file at each step
# from 0 to the group's last eval time: `for: 1w` at 15s steps took it over 5 minutes.
MAX_STEPS = 1_000


def _span(alert: Any) -> int:
    window = getattr(alert, "window", None)
    return alert.for_.ms + (window.ms if window is not None else 0)


def long_interval(spec: Spec) -> int:
    """The evaluation interval (ms) of the long alerts' tests: the smallest whole number of
    minutes that keeps the longest within MAX_STEPS. Kinds sample their series on this grid
    too (never coarser than half a rate window), so the same threshold crossings are tested
    with fewer samples and steps; `for` is counted in whole steps, as Prometheus does."""
    import math

    from sfmon.kinds.testgen import MINUTE, ceil_to

    base = spec.prometheus.evaluation_interval.ms
    longest = max((_span(a) for a in spec.alerts), default=0)
    return ceil_to(-(-longest // MAX_STEPS), math.lcm(base, MINUTE))


def is_long(spec: Spec, alert: Any) -> bool:
    return _span(alert) > spec.prometheus.evaluation_interval.ms * MAX_STEPS


def env_for(spec: Spec, targets: dict[str, Any] | None = None, interval_ms: int | None = None) -> TestEnv:
    """A fresh env (its own notes); pass `targets` to share one name index across alerts."""
    if targets is None:
        targets = {t.name: t for t in spec.targets}
    return TestEnv(interval_ms or spec.prometheus.evaluation_interval.ms, targets)


def _last(groups: list[Group]) -> int:
    return max((c.at_ms for g in groups for c in g.checks), default=0)


def rule_tests(spec: Spec) -> RuleTests:
    notes: list[Note] = []
    targets = {t.name: t for t in spec.targets}  # once: per alert it made this pass quadratic
    base = spec.prometheus.evaluation_interval.ms
    generated: dict[int, list[Group]] = {}
    own: dict[int, list[Group]] = {}
    slow: list[int] = []
    for i, alert in enumerate(spec.alerts):
        env = env_for(spec, targets)
        too_long = None if is_long(spec, alert) else _too_long(alert, env)
        if too_long:
            notes.append(Note(("alerts", i), too_long, Severity.WARNING))
        elif is_long(spec, alert):
            slow.append(i)
        else:
            generated[i] = alert.rule_tests(env)
            slow += [i] if _last(generated[i]) > base * MAX_STEPS else []
        notes.extend(Note(("alerts", i), n, Severity.WARNING) for n in env.notes)
        own[i] = []
        for j, test in enumerate(alert.tests):
            if test.at.ms // base > MAX_EVALUATIONS:
                notes.append(Note(("alerts", i, "tests", j, "at"), (
                    f"{alert.name}: test {test.name!r} at {test.at} needs {test.at.ms // base:,} evaluations at the "
                    f"{spec.prometheus.evaluation_interval} interval; promtool cannot finish them (at most {MAX_EVALUATIONS:,})"
                ), Severity.ERROR))  # fmt: skip
                continue
            try:
                own[i].append(user_group(alert, test))
            except Unsupported as exc:
                notes.append(Note(("alerts", i, "tests", j), f"{alert.name}: {exc}", Severity.ERROR))
    # Alerts whose generated tests run past MAX_STEPS evaluations (a long `for` or window, or
    # an interval whose grid with the samples' is long): regenerated at a coarser interval,
    # into the long file.
    long: list[Group] = []
    coarse = 0
    if slow:
        import math

        from sfmon.kinds.testgen import MINUTE, ceil_to

        longest = max(max(_last(generated.get(i, [])), _span(spec.alerts[i])) for i in slow)
        coarse = ceil_to(-(-longest // MAX_STEPS), math.lcm(base, MINUTE))
        for i in slow:
            env = env_for(spec, targets, coarse)
            too_long = _too_long(spec.alerts[i], env)
            if too_long:
                notes.append(Note(("alerts", i), too_long, Severity.WARNING))
            else:
                long.extend(spec.alerts[i].rule_tests(env))
                notes.extend(Note(("alerts", i), n, Severity.WARNING) for n in env.notes)
    groups = [g for i in range(len(spec.alerts)) for g in (*([] if i in slow else generated.get(i, [])), *own[i])]
    return RuleTests(tuple(groups), tuple(notes), tuple(long), coarse if long else 0)


def _last(groups: list[Group]) -> int:
    return max((c.at_ms for g in groups for c in g.checks), default=0)


MAX_SPAN = 50 * 365 * 86_400_000  # eval times must stay far below Go's 292-year durations
MAX_EVALUATIONS = 50_000  # samples per series; a `for` of years made generate take minutes and gigabytes


def _too_long(alert: Any, env: TestEnv) -> str | None:
    """Why generated tests are skipped for an alert whose `for` and window need too many
    samples: a series is sampled at most every minute, and at most every half window."""
    from sfmon.kinds.testgen import MINUTE, series_interval

    window = getattr(alert, "window", None)
    # The kinds' own sample step: a window of 1h30m15s5ms aligns only with 5 ms samples.
    step = min(env.evaluation_interval_ms, MINUTE) if window is None else min(env.evaluation_interval_ms, series_interval(window.ms))
    evaluations = (alert.for_.ms + (window.ms if window is not None else 0)) // max(step, 1)
    if _span(alert) > MAX_SPAN:
        return f"{alert.name}: tests not generated: `for` and window span more than 50 years; write tests under `tests:`"
    if evaluations <= MAX_EVALUATIONS:
        return None
    return (
        f"{alert.name}: tests not generated: `for` and window span {evaluations:,} samples "
        f"(at most {MAX_EVALUATIONS:,}); write tests under `tests:`"
    )


def user_group(alert: Any, test: Any) -> Group:
    """A spec-written test: the expected alert is the alert's labels and annotations, with the
    test's `labels` as the expression's output and its `annotations` taking precedence."""
    series = tuple(RawSeries(sel, values) for sel, values in test.series.items())
    check = Check(test.at.ms)
    if test.fires:
        rule = alert.alert_rule()
        out_labels = {k: v for k, v in test.labels.items() if k not in rule.labels}
        annotations = {}
        for key, template in rule.annotations.items():
            if key in test.annotations:
                continue
            try:
                annotations[key] = expand(template, out_labels, None)
            except Unsupported as exc:
                raise Unsupported(
                    f"test {test.name!r}: annotation {key!r} cannot be predicted ({exc}); "
                    f"write its expected text under `annotations`"
                ) from None
        try:
            labels = {**expected_labels(rule, out_labels, None), **test.labels}
        except Unsupported as exc:
            raise Unsupported(f"test {test.name!r}: the alert's labels cannot be predicted ({exc}); list them under `labels`") from None
        expected = ExpectedAlert(dict(sorted(labels.items())), dict(sorted({**annotations, **test.annotations}.items())))
        check = Check(test.at.ms, (expected,))
    return Group(f"{alert.name}: {test.name}", alert.name, test.interval.ms, series, (check,))


"""The promtool rule tests of a spec: generated from each alert's kind, plus the spec's own.

Pure, built once per run into sfmon.derive.Derived: the render stage lays the groups out
with templates/tests/alerts.test.yml.j2, the `rules/tests` check reports the cases that could
not be built, `sfmon validate` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfmon.semantics.gotemplate import Unsupported, expand
from sfmon.semantics.versions import parse_version
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

    def cases(self) -> int:
        return sum(len(g.checks) for g in self.groups)


def env_for(spec: Spec, targets: dict[str, Any] | None = None) -> TestEnv:
    """A fresh env (its own notes); pass `targets` to share one name index across alerts."""
    if targets is None:
        targets = {t.name: t for t in spec.targets}
    target = parse_version(spec.prometheus.version) if spec.prometheus.version else None
    return TestEnv(spec.prometheus.evaluation_interval.ms, targets, prom3=target is not None and target.major >= 3)


def rule_tests(spec: Spec) -> RuleTests:
    groups: list[Group] = []
    notes: list[Note] = []
    targets = {t.name: t for t in spec.targets}  # once: per alert it made this pass quadratic
    for i, alert in enumerate(spec.alerts):
        env = env_for(spec, targets)
        long = _too_long(alert, env)
        if long:
            notes.append(Note(("alerts", i), long, Severity.WARNING))
        else:
            groups.extend(alert.rule_tests(env))
        notes.extend(Note(("alerts", i), n, Severity.WARNING) for n in env.notes)
        for j, test in enumerate(alert.tests):
            try:
                groups.append(user_group(alert, test))
            except Unsupported as exc:
                notes.append(Note(("alerts", i, "tests", j), f"{alert.name}: {exc}", Severity.ERROR))
    return RuleTests(tuple(groups), tuple(notes))


MAX_EVALUATIONS = 50_000  # per alert; a `for` of years made generate take minutes and gigabytes


def _too_long(alert: Any, env: TestEnv) -> str | None:
    """Why generated tests are skipped for an alert whose `for` and window span too many evaluations."""
    window = getattr(alert, "window", None)
    step = env.evaluation_interval_ms if window is None else min(env.evaluation_interval_ms, max(window.ms // 2, 1))
    evaluations = (alert.for_.ms + (window.ms if window is not None else 0)) // max(step, 1)
    if evaluations <= MAX_EVALUATIONS:
        return None
    return (
        f"{alert.name}: tests not generated: `for` and window span {evaluations:,} evaluations "
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


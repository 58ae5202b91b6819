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
class Coverage:
    """How many rules of one sort the tests prove: a firing and a quiet case each. validate's
    success line prints every entry ("9 of 9 alerts proven")."""

    what: str  # plural: "alerts"
    proven: int
    total: int

    def __str__(self) -> str:
        return f"{self.proven} of {self.total} {self.what} proven"


@dataclass(frozen=True)
class RuleTests:
    groups: tuple[Group, ...] = ()
    notes: tuple[Note, ...] = ()
    unproven: tuple[Note, ...] = ()  # one warning per rule no case proves (check rules/unproven)
    coverage: tuple[Coverage, ...] = ()

    def cases(self) -> int:
        return sum(len(g.checks) for g in self.groups)


def env_for(spec: Spec, targets: dict[str, Any] | None = None) -> TestEnv:
    """A fresh env (its own notes); pass `targets` to share one name index across alerts."""
    if targets is None:
        targets = {t.name: t for t in spec.targets}
    return TestEnv(spec.prometheus.evaluation_interval.ms, targets, external_labels=spec.prometheus.external_labels)


def rule_tests(spec: Spec) -> RuleTests:
    groups: list[Group] = []
    notes: list[Note] = []
    unproven: list[Note] = []
    targets = {t.name: t for t in spec.targets}  # once: per alert it made this pass quadratic
    for i, alert in enumerate(spec.alerts):
        env = env_for(spec, targets)
        own: list[Group] = []
        long = _too_long(alert, env)
        if long:
            notes.append(Note(("alerts", i), long, Severity.WARNING))
        else:
            own.extend(alert.rule_tests(env))
        notes.extend(Note(("alerts", i), n, Severity.WARNING) for n in env.notes)
        for j, test in enumerate(alert.tests):
            try:
                own.append(user_group(alert, test, spec.prometheus.external_labels))
            except Unsupported as exc:
                notes.append(Note(("alerts", i, "tests", j), f"{alert.name}: {exc}", Severity.ERROR))
        why = _unproven(own, env.unproven)
        if why:
            unproven.append(Note(("alerts", i), f"{alert.name}: not proven: {why}; write tests under `tests:`", Severity.WARNING))
        groups.extend(own)
    coverage = (Coverage("alerts", len(spec.alerts) - len(unproven), len(spec.alerts)),)
    return RuleTests(tuple(groups), tuple(notes), tuple(unproven), coverage)


def _unproven(groups: list[Group], reasons: list[str]) -> str | None:
    """Why these cases do not prove the alert (a case where it fires and one where it does
    not), or None when they do."""
    fires = any(c.alerts for g in groups for c in g.checks)
    quiet = any(not c.alerts for g in groups for c in g.checks)
    if fires and quiet:
        return None
    missing = " and ".join(w for w, ok in (("fires", fires), ("stays quiet", quiet)) if not ok)
    because = f" ({'; '.join(reasons)})" if reasons else ""
    return f"no test case shows where it {missing}{because}"


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


def user_group(alert: Any, test: Any, external: dict[str, str] | None = None) -> Group:
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
                annotations[key] = expand(template, out_labels, None, external or {})
            except Unsupported as exc:
                raise Unsupported(
                    f"test {test.name!r}: annotation {key!r} cannot be predicted ({exc}); "
                    f"write its expected text under `annotations`"
                ) from None
        try:
            labels = {**expected_labels(rule, out_labels, None, external or {}), **test.labels}
        except Unsupported as exc:
            raise Unsupported(f"test {test.name!r}: the alert's labels cannot be predicted ({exc}); list them under `labels`") from None
        expected = ExpectedAlert(dict(sorted(labels.items())), dict(sorted({**annotations, **test.annotations}.items())))
        check = Check(test.at.ms, (expected,))
    return Group(f"{alert.name}: {test.name}", alert.name, test.interval.ms, series, (check,))


"""The promtool rule tests of a spec: generated from each alert's kind, plus the spec's own.

Pure, built once per run into sfmon.derive.Derived: the render stage lays the groups out
with templates/tests/alerts.test.yml.j2, the `rules/tests` check reports the cases that could
not be built, `sfmon validate` runs them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sfmon.semantics.gotemplate import Unsupported, expand
from sfmon.kinds.guards import guarded
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
    unproven: tuple[Note, ...] = ()  # one warning per alert no case proves (check rules/unproven)
    coverage: tuple[Coverage, ...] = ()  # alerts, and recording rules when the spec has any
    evaluation_interval_ms: int = 60_000  # of the test file: every group's interval is a multiple

    def covered(self, what: str) -> Coverage | None:
        return next((c for c in self.coverage if c.what == what), None)

    def cases(self) -> int:
        return sum(len(g.checks) + len(g.exprs) for g in self.groups)


def group_interval_ms(spec: Spec, group: str | None) -> int:
    """How often Prometheus evaluates the rule group (`rule_groups:`, else the global interval)."""
    settings = spec.rule_groups.get(group or spec.project)
    if settings is not None and settings.interval is not None:
        return settings.interval.ms
    return spec.prometheus.evaluation_interval.ms


def test_interval_ms(spec: Spec) -> int:
    """The test file's evaluation_interval. promtool evaluates every group at that one
    interval, whatever the group's own: the greatest common divisor of them all puts every
    group's evaluation times (the eval times its tests use) on promtool's grid."""
    out = spec.prometheus.evaluation_interval.ms
    for settings in spec.rule_groups.values():
        if settings.interval is not None:
            out = math.gcd(out, settings.interval.ms)
    return out


def env_for(
    spec: Spec, targets: dict[str, Any] | None = None, group: str | None = None, alert: Any = None, recorded: Any = None
) -> TestEnv:
    """A fresh env (its own notes) for a rule of `group` (None: the default group), or for
    `alert` (its group and keep_firing_for); pass `targets` and `recorded` (recorded_labels)
    to share them across alerts."""
    if targets is None:
        targets = {t.name: t for t in spec.targets}
    if recorded is None:
        recorded = recorded_labels(spec)
    if alert is not None:
        return TestEnv(
            group_interval_ms(spec, alert.group), targets, keep_firing_for_ms=alert.keep_firing_for.ms,
            recorded=recorded, external_labels=spec.prometheus.external_labels,
        )  # fmt: skip
    return TestEnv(group_interval_ms(spec, group), targets, recorded=recorded, external_labels=spec.prometheus.external_labels)


def recorded_labels(spec: Spec) -> dict[str, set[str] | None]:
    """Each recorded series name -> the labels its rules keep (None when any rule's are
    unknown). A rule reading recorded series keeps what they keep: resolved in passes until
    nothing changes (at most one per rule; a cycle stays unknown)."""
    out: dict[str, set[str] | None] = {}
    for _ in range(len(spec.recording_rules) + 1):
        new: dict[str, set[str] | None] = {}
        for r in spec.recording_rules:
            mine, theirs = r.keeps(out), new.get(r.record, set())
            new[r.record] = None if mine is None or theirs is None else mine | theirs
        if new == out:
            break
        out = new
    return out


def rule_tests(spec: Spec) -> RuleTests:
    from sfmon.derive.recording_tests import recording_tests

    groups: list[Group] = []
    notes: list[Note] = []
    unproven: list[Note] = []
    targets = {t.name: t for t in spec.targets}  # once: per alert it made this pass quadratic
    recorded = recorded_labels(spec)
    records_proven = 0
    for outcome in recording_tests(spec, lambda group: env_for(spec, targets, group, recorded=recorded)):
        if outcome.group is not None:
            groups.append(outcome.group)
            records_proven += 1
        else:
            notes.append(Note(("recording_rules", outcome.index, "expr"), outcome.unproven or "", Severity.WARNING))
    enabled = spec.enabled_alerts()
    for i, alert in enabled:
        env = env_for(spec, targets, alert=alert, recorded=recorded)
        own: list[Group] = []
        long = _too_long(alert, env)
        if long:
            notes.append(Note(("alerts", i), long, Severity.WARNING))
        else:
            own.extend(guarded(alert, alert.rule_tests(env), env))
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
    coverage = [Coverage("alerts", len(enabled) - len(unproven), len(enabled))]
    if spec.recording_rules:
        coverage.append(Coverage("recording rules", records_proven, len(spec.recording_rules)))
    return RuleTests(tuple(groups), tuple(notes), tuple(unproven), tuple(coverage), test_interval_ms(spec))


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
    evaluations = (alert.for_.ms + alert.keep_firing_for.ms + (window.ms if window is not None else 0)) // max(step, 1)
    if evaluations <= MAX_EVALUATIONS:
        return None
    return (
        f"{alert.name}: tests not generated: `for`, keep_firing_for and window span {evaluations:,} evaluations "
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


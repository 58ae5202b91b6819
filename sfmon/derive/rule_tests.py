"""The promtool rule tests of a spec: generated from each alert's kind, plus the spec's own.

Pure, built once per run into sfmon.derive.Derived: the render stage lays the groups out
with templates/tests/alerts.test.yml.j2, the `rules/tests` check reports the cases that could
not be built, `sfmon validate` runs them.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sfmon.semantics.gotemplate import Unsupported, expand
from sfmon.kinds.guards import guarded
from sfmon.semantics.versions import parse_version
from sfmon.kinds.testgen import Check, ExpectedAlert, Group, RawSeries, TestEnv, expected_labels
from sfmon.model import Spec
from sfmon.problems import Severity
from sfmon.semantics.units import format_duration_ms

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
    # Generated tests of alerts whose `for` and window span more than MAX_STEPS evaluations
    # at their interval: their own file, evaluated every `long_interval_ms`.
    long: tuple[Group, ...] = ()
    long_interval_ms: int = 0

    def covered(self, what: str) -> Coverage | None:
        return next((c for c in self.coverage if c.what == what), None)

    def cases(self) -> int:
        return sum(len(g.checks) + len(g.exprs) for g in (*self.groups, *self.long))


# Evaluations per test group. promtool evaluates every rule of a test file at each step
# from 0 to the group's last eval time: `for: 1w` at 15s steps took it over 5 minutes.
MAX_STEPS = 1_000


def _span(alert: Any) -> int:
    window = getattr(alert, "window", None)
    for_ms = max(lv.for_.ms for lv in alert.levels())  # a tier's own `for` counts too
    return for_ms + alert.keep_firing_for.ms + (window.ms if window is not None else 0)


def is_long(alert: Any, interval_ms: int) -> bool:
    return _span(alert) > interval_ms * MAX_STEPS


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
    spec: Spec,
    targets: dict[str, Any] | None = None,
    group: str | None = None,
    alert: Any = None,
    recorded: Any = None,
    interval_ms: int | None = None,
) -> TestEnv:
    """A fresh env (its own notes) for a rule of `group` (None: the default group), or for
    `alert` (its group and keep_firing_for); pass `targets` and `recorded` (recorded_labels)
    to share them across alerts; `interval_ms` overrides the group's (the long file's)."""
    if targets is None:
        targets = {t.name: t for t in spec.targets}
    if recorded is None:
        recorded = recorded_labels(spec)
    interval = interval_ms or group_interval_ms(spec, alert.group if alert is not None else group)
    keep = alert.keep_firing_for.ms if alert is not None else 0
    return TestEnv(
        interval, targets, keep_firing_for_ms=keep, recorded=recorded, external_labels=spec.prometheus.external_labels,
        release=target_release(spec), file_interval_ms=interval_ms or test_interval_ms(spec),
    )  # fmt: skip


def target_release(spec: Spec) -> tuple[int, int] | None:
    """The Prometheus release the spec names (`prometheus.version`), MAJOR.MINOR; None: unset (2.42's semantics)."""
    target = parse_version(spec.prometheus.version) if spec.prometheus.version else None
    return (target.major, target.minor) if target is not None else None


def targets_prometheus3(spec: Spec) -> bool:
    """Whether the spec names a Prometheus 3 release (`prometheus.version`); unset: 2.42's semantics."""
    release = target_release(spec)
    return release is not None and release >= (3, 0)


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

    recording: list[Group] = []
    notes: list[Note] = []
    targets = {t.name: t for t in spec.targets}  # once: per alert it made this pass quadratic
    recorded = recorded_labels(spec)
    records_proven = 0
    file_interval = test_interval_ms(spec)
    for outcome in recording_tests(spec, lambda group: env_for(spec, targets, group, recorded=recorded)):
        why = oversize(outcome.group, file_interval) if outcome.group is not None else outcome.unproven
        if why is None:
            recording.append(outcome.group)
            records_proven += 1
        else:
            notes.append(Note(("recording_rules", outcome.index, "expr"), why or "", Severity.WARNING))
    enabled = spec.enabled_alerts()
    generated: dict[int, list[Group]] = {}
    own: dict[int, list[Group]] = {}
    reasons: dict[int, list[str]] = {}
    slow: list[int] = []
    for i, alert in enabled:
        env = env_for(spec, targets, alert=alert, recorded=recorded)
        step = env.evaluation_interval_ms
        too_long = None if is_long(alert, step) else _too_long(alert, env)
        if too_long:
            notes.append(Note(("alerts", i), too_long, Severity.WARNING))
        elif is_long(alert, step):
            slow.append(i)
        else:
            generated[i] = _generated(alert, env)
            # promtool steps at the file's interval (the groups' gcd), not the alert's own
            slow += [i] if _last(generated[i]) > min(step, file_interval) * MAX_STEPS else []
        notes.extend(Note(("alerts", i), n, Severity.WARNING) for n in env.notes)
        reasons[i] = env.unproven
        own[i] = []
        for j, test in enumerate(alert.tests):
            if test.at.ms // file_interval > MAX_EVALUATIONS:
                notes.append(Note(("alerts", i, "tests", j, "at"), (
                    f"{alert.name}: test {test.name!r} at {test.at} needs {test.at.ms // file_interval:,} evaluations at the "
                    f"{format_duration_ms(file_interval)} interval; promtool cannot finish them (at most {MAX_EVALUATIONS:,})"
                ), Severity.ERROR))  # fmt: skip
                continue
            try:
                own[i].append(user_group(alert, test, spec.prometheus.external_labels, target_release(spec), file_interval))
            except Unsupported as exc:
                notes.append(Note(("alerts", i, "tests", j), f"{alert.name}: {exc}", Severity.ERROR))
    # Alerts whose generated tests run past MAX_STEPS evaluations (a long `for` or window, or
    # an interval whose grid with the samples' is long): regenerated at a coarser interval,
    # into the long file.
    coarse = 0
    if slow:
        from sfmon.kinds.testgen import MINUTE, ceil_to

        longest = max(max(_last(generated.get(i, [])), _span(spec.alerts[i])) for i in slow)
        coarse = ceil_to(-(-longest // MAX_STEPS), math.lcm(spec.prometheus.evaluation_interval.ms, MINUTE))
        for i in slow:
            alert = spec.alerts[i]
            env = env_for(spec, targets, alert=alert, recorded=recorded, interval_ms=coarse)
            too_long = _too_long(alert, env)
            generated[i] = []
            if too_long:
                notes.append(Note(("alerts", i), too_long, Severity.WARNING))
            else:
                generated[i] = _generated(alert, env)
                notes.extend(Note(("alerts", i), n, Severity.WARNING) for n in env.notes)
                reasons[i] = env.unproven
    for i in list(generated):  # the last bound, whatever made a case long: promtool's time limit
        kept = []
        window = _longest_window(spec.alerts[i])
        for g in generated[i]:
            why = oversize(g, coarse if i in slow else file_interval, window)
            if why:
                notes.append(Note(("alerts", i), f"{spec.alerts[i].name}: case {g.name!r} left out: {why}", Severity.WARNING))
            else:
                kept.append(g)
        generated[i] = kept
    long = [g for i in slow for g in generated.get(i, [])]
    unproven: list[Note] = []
    for i, alert in enabled:
        why = _unproven([*generated.get(i, []), *own[i]], reasons[i])
        if why:
            unproven.append(Note(("alerts", i), f"{alert.name}: not proven: {why}; write tests under `tests:`", Severity.WARNING))
    groups = [*recording, *(g for i, _ in enabled for g in (*([] if i in slow else generated.get(i, [])), *own[i]))]
    coverage = [Coverage("alerts", len(enabled) - len(unproven), len(enabled))]
    if spec.recording_rules:
        coverage.append(Coverage("recording rules", records_proven, len(spec.recording_rules)))
    return RuleTests(
        tuple(groups), tuple(notes), tuple(unproven), tuple(coverage), file_interval, tuple(long), coarse if long else 0
    )


def _longest_window(alert: Any) -> int:
    from sfmon.derive.recording_tests import windows_ms

    try:
        return max((w for r in alert.rules() for w in windows_ms(r.expr)), default=0)
    except ValueError:  # an expression the parser refuses: the checks report it
        return 0


def _generated(alert: Any, env: Any) -> list[Group]:
    """The alert's generated cases; none (and a note) when a prediction would load more
    samples than promtool could run (an interval of years at minute steps)."""
    from sfmon.semantics.promql import TooManySamples

    try:
        return guarded(alert, alert.rule_tests(env), env)
    except TooManySamples as exc:
        env.notes.append(f"{alert.name}: tests not generated: {exc}; write tests under `tests:`")
        return []


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


def _last(groups: list[Group]) -> int:
    return max((c.at_ms for g in groups for c in g.checks), default=0)


# One test group's size in promtool: samples it loads, evaluations it steps through (every
# rule of the file at each). A year of 1m samples (525,602) at a 30s interval ran past
# promtool's 60 s; these stay near a second on this machine (docs/hardening.md).
MAX_GROUP_SAMPLES = 200_000
MAX_GROUP_EVALUATIONS = 50_000
# Range windows: promtool's time grew with the square of the samples a window holds (measured
# on 3.5.1: a 1y window of 900 samples at 986 evaluations, 777 million, took 14 s of CPU and
# 42 s on a loaded machine; 200 days, 133 million, 1.7 s). The largest shipped case is 204 million.
MAX_GROUP_WINDOW_WORK = 300_000_000
_FLOAT_MAX = Decimal(sys.float_info.max)


def oversize(group: Group, interval_ms: int, window_ms: int = 0) -> str | None:
    """Why promtool could not run this group within its time limit, or None. `window_ms`: the
    longest range window of the rule (each evaluation reads that much of every series)."""
    segments = [tuple(getattr(s, "segments", ())) for s in group.series]
    per_series = [sum(seg.times + 1 for seg in segs) for segs in segments]
    samples = sum(per_series)
    last = max((c.at_ms for c in (*group.checks, *group.exprs)), default=0)
    evaluations = last // max(interval_ms, 1)
    if samples > MAX_GROUP_SAMPLES:
        return f"its series hold {samples:,} samples; promtool could not load them within its time limit (at most {MAX_GROUP_SAMPLES:,})"
    if evaluations > MAX_GROUP_EVALUATIONS:
        return (
            f"it needs {evaluations:,} evaluations at the {format_duration_ms(interval_ms)} interval; promtool could not "
            f"finish them within its time limit (at most {MAX_GROUP_EVALUATIONS:,})"
        )
    peak = max((abs(seg.start) + abs(seg.step) * seg.times for segs in segments for seg in segs), default=0)
    if peak > _FLOAT_MAX:  # promtool reads each start and step with ParseFloat
        return f"its series reach {peak:.3e}, past float64's largest value (about 1.8e308), which promtool cannot load"
    held = min(max(per_series, default=0), window_ms // max(group.interval_ms, 1) + 1)  # samples one window holds
    if evaluations * held * held * len(group.series) > MAX_GROUP_WINDOW_WORK:
        return (
            f"its {evaluations:,} evaluations each read {held:,} samples of every series in a {format_duration_ms(window_ms)} "
            f"window; promtool could not finish them within its time limit (evaluations x samples per window squared x "
            f"series: at most {MAX_GROUP_WINDOW_WORK:,})"
        )
    latest = max(last, group.interval_ms, interval_ms)
    if latest > MAX_SPAN:
        return (
            f"it is evaluated at {format_duration_ms(latest)}; promtool reads times as "
            "Go durations, which end at 292 years (sfmon's bound: 50 years)"
        )
    return None


MAX_SPAN = 50 * 365 * 86_400_000  # eval times must stay far below Go's 292-year durations
MAX_EVALUATIONS = 50_000  # samples per series; a `for` of years made generate take minutes and gigabytes


def _too_long(alert: Any, env: TestEnv) -> str | None:
    """Why generated tests are skipped for an alert whose `for` and window need too many
    samples: a series is sampled at most every minute, and at most every half window."""
    from sfmon.kinds.testgen import MINUTE, series_interval

    window = getattr(alert, "window", None)
    # The kinds' own sample step: a window of 1h30m15s5ms aligns only with 5 ms samples.
    step = min(env.evaluation_interval_ms, MINUTE) if window is None else min(env.evaluation_interval_ms, series_interval(window.ms))
    evaluations = _span(alert) // max(step, 1)
    if _span(alert) > MAX_SPAN:
        return f"{alert.name}: tests not generated: `for`, keep_firing_for and window span more than 50 years; write tests under `tests:`"
    if evaluations <= MAX_EVALUATIONS:
        return None
    return (
        f"{alert.name}: tests not generated: `for`, keep_firing_for and window span {evaluations:,} samples "
        f"(at most {MAX_EVALUATIONS:,}); write tests under `tests:`"
    )


def user_group(
    alert: Any, test: Any, external: dict[str, str] | None = None, release: tuple[int, int] | None = None, file_interval_ms: int = 0
) -> Group:
    """A spec-written test: the expected alert is the alert's labels and annotations, with the
    test's `labels` as the expression's output and its `annotations` taking precedence.
    `release`: the targeted Prometheus; `file_interval_ms`: the test file's evaluation grid,
    whose step at or before `at` is the evaluation promtool compares (3.6's `now`)."""
    series = tuple(RawSeries(sel, values) for sel, values in test.series.items())
    check = Check(test.at.ms)
    now = (test.at.ms - test.at.ms % file_interval_ms) / 1000 if file_interval_ms else None
    if test.fires:
        alerts = []
        for rule in _firing_rules(alert, test):
            out_labels = {k: v for k, v in test.labels.items() if k not in rule.labels}
            annotations = {}
            for key, template in rule.annotations.items():
                if key in test.annotations:
                    continue
                try:
                    annotations[key] = expand(template, out_labels, None, None, release, now)
                except Unsupported as exc:
                    raise Unsupported(
                        f"test {test.name!r}: annotation {key!r} cannot be predicted ({exc}); "
                        f"write its expected text under `annotations`"
                    ) from None
            try:
                labels = {**expected_labels(rule, out_labels, None, external or {}, release, now), **test.labels}
            except Unsupported as exc:
                raise Unsupported(f"test {test.name!r}: the alert's labels cannot be predicted ({exc}); list them under `labels`") from None
            alerts.append(ExpectedAlert(dict(sorted(labels.items())), dict(sorted({**annotations, **test.annotations}.items()))))
        check = Check(test.at.ms, tuple(alerts))
    return Group(f"{alert.name}: {test.name}", alert.name, test.interval.ms, series, (check,))


def _firing_rules(alert: Any, test: Any) -> list[Any]:
    """The rules whose alerts a firing test expects: every tier's, or the tiers it names."""
    pairs = list(zip(alert.levels(), alert.alert_rules()))
    if test.tiers is None:
        return [rule for _, rule in pairs]
    have = [lv.severity for lv, _ in pairs]
    unknown = [t for t in test.tiers if t not in have]
    if unknown or len(pairs) == 1:
        raise Unsupported(
            f"test {test.name!r}: `tiers` names {', '.join(unknown or test.tiers)}, "
            + (f"but the alert's tiers are {', '.join(have)}" if len(pairs) > 1 else "but the alert has no tiers")
        )
    return [rule for lv, rule in pairs if lv.severity in test.tiers]

"""Building blocks for the rule tests each alert kind derives from its spec.

A kind describes scenarios (series just over or under its threshold); this module turns
them into promtool test groups: series whose labels satisfy the alert's selectors, eval
times that respect `for` and the rate window, and the expected alert with its labels and
annotations expanded the way Prometheus will (sfmon.semantics.gotemplate, sfmon.semantics.promql).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from sfmon.semantics import names
from sfmon.semantics.gotemplate import NeedsServer, Unsupported, expand
from sfmon.semantics.matchers import Matcher, fullmatch
from sfmon.semantics.promql import Segment, notation
from sfmon.semantics.units import fmt_number, format_duration_ms

if TYPE_CHECKING:  # pragma: no cover
    from sfmon.kinds.base import AlertBase, Level
    from sfmon.kinds.rule import Rule
    from sfmon.semantics.promql import Version

MINUTE = 60_000


# --- what a test group is ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    labels: tuple[tuple[str, str], ...]  # sorted
    segments: tuple[Segment, ...]

    def selector(self) -> str:
        return names.series(self.name, (names.matcher(k, "=", v) for k, v in self.labels))

    def values(self) -> str:
        return notation(self.segments)

    def label_map(self) -> dict[str, str]:
        return {"__name__": self.name, **dict(self.labels)}


@dataclass(frozen=True, slots=True)
class RawSeries:
    """A series as a user wrote it in a spec test: selector and notation, taken as they are."""

    text: str
    notation_text: str

    def selector(self) -> str:
        return self.text

    def values(self) -> str:
        return self.notation_text


@dataclass(frozen=True, slots=True)
class ExpectedAlert:
    labels: dict[str, str]
    annotations: dict[str, str]
    # The expression's output series the alert comes from (no __name__): what a guard
    # series must share with it. Not part of what promtool compares.
    series: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Check:
    at_ms: int
    alerts: tuple[ExpectedAlert, ...] = ()  # empty: the alert must not be firing

    @property
    def at(self) -> str:
        return format_duration_ms(self.at_ms)


@dataclass(frozen=True, slots=True)
class ExpectedSample:
    series: str  # name{label="value",...}, as promtool's exp_samples read it
    value: float


@dataclass(frozen=True, slots=True)
class ExprCheck:
    """A promtool `promql_expr_test`: what `expr` returns at `at_ms` (a recording rule's series)."""

    expr: str
    at_ms: int
    samples: tuple[ExpectedSample, ...]

    @property
    def at(self) -> str:
        return format_duration_ms(self.at_ms)


@dataclass(frozen=True, slots=True)
class Group:
    """One promtool test group: input series and the checks of one alert on them, or the
    expression checks of one recording rule (alertname "")."""

    name: str
    alertname: str
    interval_ms: int
    series: tuple[Series | RawSeries, ...]
    checks: tuple[Check, ...]
    exprs: tuple[ExprCheck, ...] = ()

    @property
    def interval(self) -> str:
        return format_duration_ms(self.interval_ms)


@dataclass
class TestEnv:
    """What the kinds need from the rest of the spec."""

    evaluation_interval_ms: int  # of the alert's rule group
    targets: Mapping[str, Any]  # name -> Target
    notes: list[str] = field(default_factory=list)  # cases left out, and why
    external_labels: Mapping[str, str] = field(default_factory=dict)  # $externalLabels (the test groups carry them)
    unproven: list[str] = field(default_factory=list)  # why the cases a kind built do not prove its alert
    keep_firing_for_ms: int = 0  # the alert's keep_firing_for
    # Recorded series -> the labels its recording rule keeps (None: not known).
    recorded: Mapping[str, set[str] | None] = field(default_factory=dict)
    # The release the spec targets (prometheus.version, MAJOR.MINOR; None: unset, 2.42's
    # semantics): 3.x predictions use its left-open range windows where no evaluation time
    # avoids a sample on the window's start (off_boundary), its bucket labels and templates.
    release: tuple[int, int] | None = None
    # The test file's evaluation_interval (0: the group's): promtool evaluates every group on
    # that grid, so an alert checked at eval_time t was last evaluated at t rounded down to it.
    file_interval_ms: int = 0

    @property
    def prom3(self) -> bool:
        return self.release is not None and self.release >= (3, 0)

    def evaluated_at(self, at_ms: int) -> float:
        """The time (seconds) of the evaluation promtool compares at `at_ms`: 3.6's `now`."""
        grid = self.file_interval_ms or self.evaluation_interval_ms
        return (at_ms - at_ms % grid) / 1000

    @property
    def promql_version(self) -> "Version":
        from sfmon.semantics.promql import DEFAULT, PROMETHEUS_3

        return PROMETHEUS_3 if self.prom3 else DEFAULT

    def bucket_bound(self, bound: str) -> str:
        """The `le` a scrape stores for a classic histogram bucket exposed with `bound`: as
        exposed on 2.x, normalised on 3.x (`1` -> `1.0`, semantics/exposition)."""
        from sfmon.semantics.exposition import scraped

        return scraped("histogram", "le", bound, self.prom3)

    def target_labels(self, name: str | None, metric: str | None = None) -> dict[str, str]:
        """Labels a scraped series of the target carries: job, instance and the target's own;
        for a recorded `metric`, only those its recording rule keeps (`sum by (job)`: job)."""
        t = self.targets.get(name) if name else None
        if t is None:
            labels = {"job": name} if name else {}
        else:
            labels = {**t.labels, "job": t.name, "instance": t.instances()[0]}
        kept = self.recorded.get(metric) if metric is not None else None
        return labels if kept is None else {k: v for k, v in labels.items() if k in kept}

    def other_instance(self, name: str | None) -> str:
        """A second instance of the target, for a series next to the one a test is about."""
        t = self.targets.get(name) if name else None
        found = t.instances() if t is not None else []
        if len(found) > 1:
            return found[1]
        return "other-instance:1" if not found or found[0] != "other-instance:1" else "other-instance:2"


# --- expected alerts -----------------------------------------------------------------


def expected_labels(
    rule: "Rule", out_labels: Mapping[str, str], value: float | None, external: Mapping[str, str] | None = None,
    release: tuple[int, int] | None = None, now: float | None = None,
) -> dict[str, str]:
    """The labels of the alert Prometheus raises for one output series of the expression:
    the series' labels, the rule's labels (templates expanded) and alertname. `external`:
    the external labels ($externalLabels); None where they are not known. `release`: the
    targeted Prometheus (its template functions); `now`: the evaluation time in seconds."""
    labels = {k: v for k, v in out_labels.items() if k != "__name__"}
    for k, v in rule.labels.items():
        labels[k] = expand(v, out_labels, value, external, release, now)
    labels["alertname"] = rule.name
    # Prometheus builds the alert's labels with a labels.Builder: an empty value removes the label.
    return dict(sorted((k, v) for k, v in labels.items() if v != ""))


def expected_alert(
    rule: "Rule", out_labels: Mapping[str, str], value: float | None, external: Mapping[str, str] | None = None,
    release: tuple[int, int] | None = None, now: float | None = None,
) -> ExpectedAlert:
    """`out_labels` are the series' labels as the rule sees them ($labels, with __name__ when
    the expression keeps it). Raises Unsupported when a template cannot be predicted."""
    annotations = {k: expand(v, out_labels, value, external, release, now) for k, v in rule.annotations.items()}
    series = {k: v for k, v in out_labels.items() if k != "__name__"}
    return ExpectedAlert(expected_labels(rule, out_labels, value, external, release, now), dict(sorted(annotations.items())), series)


# --- timing --------------------------------------------------------------------------


def series_interval(*windows_ms: int) -> int:
    """1m, or less when a window is not a whole number of minutes (so windows align with
    samples), and at most half the shortest window: then every evaluation, even one between
    samples, sees two samples in each rate window (a 10s window on 10s samples would not)."""
    g = MINUTE
    for w in windows_ms:
        g = math.gcd(g, w)
    while windows_ms and 2 * g > min(windows_ms) and g % 2 == 0:
        g //= 2
    if windows_ms and g == MINUTE and min(windows_ms) // g > MAX_PER_WINDOW:
        # A window of weeks at 1m samples loads more than promtool's query limit: sample it
        # more coarsely, on whole minutes that still divide every window (crossings stay aligned).
        common = math.gcd(*windows_ms)
        for k in range(-(-min(windows_ms) // (g * MAX_PER_WINDOW)), common // g + 1):
            if (common // g) % k == 0:
                return g * k
    return g


MAX_PER_WINDOW = 1_000  # samples of a series inside one rate window


def ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


def settle_time(env: TestEnv, interval_ms: int, warmup_ms: int, for_ms: int) -> int:
    """An eval time by which a steady condition has held for `for`, on both the sample and
    the evaluation grid (so the final evaluation sees aligned windows)."""
    grid = math.lcm(interval_ms, env.evaluation_interval_ms)
    # The condition holds from the first grid evaluation after the warm-up at the latest;
    # `for` counts from that evaluation, so it is added after rounding, not before (a
    # `for` shorter than the grid was swallowed by the rounding: found by the property tests).
    first_true = ceil_to(warmup_ms + 2 * interval_ms, grid)
    # keep_firing_for: a condition true for a moment while the windows fill (a rate just
    # starting is low) keeps its alert firing that long, so a quiet case must wait it out.
    return off_boundary(ceil_to(first_true + for_ms + env.keep_firing_for_ms, grid), env.evaluation_interval_ms, interval_ms, warmup_ms)


def off_boundary(at_ms: int, evaluation_ms: int, interval_ms: int, window_ms: int) -> int:
    """The first evaluation at or after `at_ms` whose `window_ms` range starts between two
    samples, when there is one: a sample exactly on the range's start is inside it for
    Prometheus 2.x and outside for 3.x (left-open ranges), and the two would predict different
    values. Off the boundary both see the same samples, so one test file holds on both."""
    if window_ms <= 0:
        return at_ms
    for k in range(math.lcm(interval_ms, evaluation_ms) // evaluation_ms):
        t = at_ms + k * evaluation_ms
        if (t - window_ms) % interval_ms:
            return t
    return at_ms  # every evaluation is on the sample grid: no such time


def steps(at_ms: int, interval_ms: int, extra: int = 2) -> int:
    """`times` for a segment that covers 0..at with a few samples to spare."""
    return at_ms // interval_ms + extra


# --- threshold arithmetic ------------------------------------------------------------


def over(threshold: Decimal, ceiling: Decimal | None = None) -> Decimal | None:
    """A value just above `threshold` (10% over), kept within `ceiling` (e.g. 100% for a share)."""
    if threshold > 0:
        value = threshold * Decimal("1.1")
    else:
        value = ceiling / 10 if ceiling is not None else Decimal(1)
    if ceiling is not None and value > ceiling:
        return ceiling if ceiling > threshold else None
    return value


def under(threshold: Decimal) -> Decimal | None:
    """A value just below `threshold` (10% under); none exists below 0."""
    return threshold * Decimal("0.9") if threshold > 0 else None


def not_over(threshold: Decimal) -> Decimal:
    """A value that does not exceed `threshold` (10% under, or 0)."""
    return threshold * Decimal("0.9")


def not_under(threshold: Decimal, ceiling: Decimal | None = None) -> Decimal | None:
    """A value that is not below `threshold` (10% over, capped at `ceiling`); none when the
    ceiling is below it (a share under 500% is always under it)."""
    value = threshold * Decimal("1.1")
    if ceiling is not None and value > ceiling:
        return ceiling if ceiling >= threshold else None
    return value


def beyond(op: str, threshold: Decimal) -> Decimal:
    """A value 10% past `threshold` in the direction of `op` ('>' or '<'), any sign (1 past 0)."""
    delta = abs(threshold) / 10 or Decimal(1)
    return threshold + delta if op == ">" else threshold - delta


def short_of(op: str, threshold: Decimal) -> Decimal:
    """A value 10% on the quiet side of `threshold` (1 from 0), any sign."""
    delta = abs(threshold) / 10 or Decimal(1)
    return threshold - delta if op == ">" else threshold + delta


def percent(fraction: Decimal) -> str:
    return fmt_number(fraction * 100) + "%"


def integer_ratio(num: Fraction, den: Fraction, floor: int = 100) -> tuple[int, int] | None:
    """Smallest readable non-negative integers p, q with p/q = num/den (max(p, q) >= floor)."""
    if den == 0 and num == 0:
        return None
    if (num < 0 < den) or (den < 0 < num):
        return None
    num, den = abs(num), abs(den)
    scale = math.lcm(num.denominator, den.denominator)
    p, q = int(num * scale), int(den * scale)
    g = math.gcd(p, q) or 1
    p, q = p // g, q // g
    big = max(p, q)
    if big < floor:
        k = -(-floor // big)
        p, q = p * k, q * k
    return p, q


# --- tiers ---------------------------------------------------------------------------


def tier_values(levels: Sequence["Level"], ceiling: Decimal | None = None) -> list[tuple[Decimal | None, int]]:
    """(value, how many levels it is past) to test each level with: one just past it (10%,
    or halfway to the next level's threshold) and one just short of it (10%, or halfway
    back to the previous one). Without tiers: [(just past, 1), (just short, 0)]."""
    ts = [lv.value for lv in levels]
    op = levels[0].op
    out: list[tuple[Decimal | None, int]] = []
    for k, t in enumerate(ts):
        nxt = ts[k + 1] if k + 1 < len(ts) else None
        prev = ts[k - 1] if k else None
        if t < 0:  # a gauge below zero: 10% either side, by magnitude
            fire, quiet = beyond(op, t), short_of(op, t)  # type: ignore[arg-type]
        elif op == ">":
            fire, quiet = over(t, ceiling), not_over(t)  # type: ignore[arg-type]
        else:
            fire, quiet = under(t), not_under(t, ceiling)  # type: ignore[arg-type]
            if fire is not None and ceiling is not None and fire > ceiling:  # every reachable value is under t
                fire = ceiling * Decimal("0.9")
        if op == ">":
            if fire is not None and nxt is not None and fire > nxt:
                fire = (t + nxt) / 2  # type: ignore[operator]
            if prev is not None and quiet <= prev:
                quiet = (prev + t) / 2  # type: ignore[operator]
        else:
            if fire is not None and nxt is not None and fire < nxt:
                fire = (t + nxt) / 2  # type: ignore[operator]
            if prev is not None and quiet is not None and quiet >= prev:
                quiet = (prev + t) / 2  # type: ignore[operator]
        out += [(fire, k + 1), (quiet, k)]
    return out


def verdict(levels: Sequence["Level"], n: int) -> str:
    """`fires`, `stays quiet`, or with tiers which of them fire: `fires warning and critical`."""
    if n == 0:
        return "stays quiet"
    if len(levels) == 1:
        return "fires"
    names = [lv.severity for lv in levels[:n]]
    return "fires " + (names[0] if n == 1 else f"{', '.join(names[:-1])} and {names[-1]}")


def limits(levels: Sequence["Level"], single: str) -> str:
    """The thresholds a test name cites: `single` without tiers, else `warning above 80, critical above 90`."""
    return single if len(levels) == 1 else ", ".join(f"{lv.severity} {lv.shown}" for lv in levels)


def level_check(
    rules: Sequence["Rule"], n: int, at_ms: int, out_labels: Mapping[str, str], value: float | None, env: "TestEnv"
) -> Check:
    """The first `n` levels' alerts (the rules in level order) fire at `at_ms`, no other; the
    env gives the external labels templates may read."""
    now = env.evaluated_at(at_ms)
    return Check(at_ms, tuple(expected_alert(rules[i], out_labels, value, env.external_labels, env.release, now) for i in range(n)))


def with_neighbour(fire: Group, quiet: Group, instance: str) -> Group | None:
    """The firing case with the quiet case's series next to it on another instance: only the
    instance past the threshold fires, with its own labels, as the alert keeps each series'
    identity (a fleet-wide sum would hide one bad host). None when their timing differs."""
    if fire.interval_ms != quiet.interval_ms or [c.at_ms for c in fire.checks] != [c.at_ms for c in quiet.checks]:
        return None
    moved = tuple(
        replace(s, labels=tuple(sorted({**dict(s.labels), "instance": instance}.items())))
        for s in quiet.series
        if isinstance(s, Series)
    )
    name = f"{fire.name}; {instance} next to it stays quiet"
    return Group(name, fire.alertname, fire.interval_ms, (*fire.series, *moved), fire.checks)


def neighboured(groups: list[Group], keeps_instance: bool, instance: str) -> list[Group]:
    """`groups` with the first firing case joined by the first quiet one on another
    instance (with_neighbour), when the alert keeps the `instance` label."""
    if not keeps_instance:
        return groups
    fire = next((i for i, g in enumerate(groups) if any(c.alerts for c in g.checks)), None)
    quiet = next((i for i, g in enumerate(groups) if not any(c.alerts for c in g.checks)), None)
    if fire is None or quiet is None:
        return groups
    joined = with_neighbour(groups[fire], groups[quiet], instance)
    if joined is None:
        return groups
    return [joined if i == fire else g for i, g in enumerate(groups)]


# --- series labels that satisfy the selectors ----------------------------------------


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(frozen=True)
class SeriesSelector:
    name: str
    matchers: tuple[Matcher, ...]

    @staticmethod
    def parse(text: str) -> "SeriesSelector":
        return _parse_selector(text)

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        return name == self.name and all(m.matches(labels) for m in self.matchers)


@lru_cache(maxsize=1024)
def _parse_selector(text: str) -> SeriesSelector:
    """Parsed once per distinct text (frozen, so shared): a target's alerts parse the same
    scoped selectors, a ratio each of its own twice."""
    import promql_parser

    ast = promql_parser.parse(text)
    ms = tuple(Matcher(m.name, _OPS[str(m.op)], m.value) for m in ast.matchers.matchers if m.name != "__name__")
    return SeriesSelector(names.selector_name(ast), ms)


@lru_cache(maxsize=1024)  # the same few patterns (`5..`) in thousands of alerts
def regex_sample(pattern: str) -> str | None:
    """A short string the (anchored) regex matches, built from its parse tree: `5..` -> `500`."""
    try:
        import re._parser as sre  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as sre  # type: ignore[no-redef]
    try:
        tree = sre.parse(pattern)
    except re.error:
        return None
    try:
        text = _walk(tree, sre)
    except _NoSample:
        return None
    return text if fullmatch(pattern, text) else None


class _NoSample(Exception):
    pass


def _walk(items: Iterable[Any], sre: Any) -> str:
    c = sre._constants if hasattr(sre, "_constants") else sre
    out = []
    for op, arg in items:
        if op == c.LITERAL:
            out.append(chr(arg))
        elif op == c.NOT_LITERAL:
            out.append("x" if chr(arg) != "x" else "y")
        elif op == c.ANY:
            out.append("0")
        elif op == c.IN:
            out.append(_in(arg, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            lo, _hi, sub = arg
            out.append(_walk(sub, sre) * lo)
        elif op == c.BRANCH:
            out.append(_walk(arg[1][0], sre))
        elif op == c.SUBPATTERN:
            out.append(_walk(arg[-1], sre))
        elif op == c.AT:
            continue
        else:
            raise _NoSample()
    return "".join(out)


def _in(items: Sequence[Any], c: Any) -> str:
    if items and items[0][0] == c.NEGATE:
        banned = items[1:]
        for ch in "x0a_-":
            if not any(_class_has(ch, op, arg, c) for op, arg in banned):
                return ch
        raise _NoSample()
    for op, arg in items:
        if op == c.LITERAL:
            return chr(arg)
        if op == c.RANGE:
            return chr(arg[0])
        if op == c.CATEGORY:
            return {c.CATEGORY_DIGIT: "0", c.CATEGORY_WORD: "a", c.CATEGORY_SPACE: " "}.get(arg, "x")
    raise _NoSample()


def _class_has(ch: str, op: Any, arg: Any, c: Any) -> bool:
    if op == c.LITERAL:
        return ch == chr(arg)
    if op == c.RANGE:
        return arg[0] <= ord(ch) <= arg[1]
    return True  # a category: assume the worst


def _candidates(name: str, matchers: Sequence[Matcher], preferred: str | None) -> list[str]:
    out: list[str] = []
    if preferred is not None:
        out.append(preferred)
    for m in matchers:
        if m.name != name:
            continue
        if m.op == "=":
            out.append(m.value)
        elif m.op == "=~":
            sample = regex_sample(m.value)
            if sample is not None:
                out.append(sample)
    out += ["200", "ok", "example", "x", "0", ""]
    return out


def solve_labels(
    base: Mapping[str, str],
    want: SeriesSelector,
    avoid: Sequence[SeriesSelector] = (),
    present: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> dict[str, str] | None:
    """Labels for a series of `want.name` that `want` selects and no selector in `avoid` does.

    Starts from `base` (the target's labels); labels in `present` get a non-empty value;
    labels in `keep` are never changed to dodge an `avoid` selector (e.g. grouping labels,
    which must stay equal between the series of one ratio)."""
    labels = dict(base)
    names = {m.name for m in want.matchers} | set(present)
    for name in sorted(names):
        ms = [m for m in want.matchers if m.name == name]
        need = name in present
        choice = next(
            (v for v in _candidates(name, ms, labels.get(name)) if all(m.matches({name: v}) for m in ms) and (v or not need)),
            None,
        )
        if choice is None:
            return None
        if choice:
            labels[name] = choice
        else:
            labels.pop(name, None)
    for other in avoid:
        if not other.matches(want.name, labels):
            continue
        for m in other.matchers:
            if m.name in keep:
                continue
            own = [w for w in want.matchers if w.name == m.name]
            need = m.name in present
            alt = next(
                (
                    v
                    for v in _candidates(m.name, [*own, m], None) + ["other", "1", "none"]
                    if not m.matches({m.name: v}) and all(w.matches({m.name: v}) for w in own) and (v or not need)
                ),
                None,
            )
            if alt is not None:
                if alt:
                    labels[m.name] = alt
                else:
                    labels.pop(m.name, None)
                break
        else:
            return None
    return labels


def sort_key(name: str, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """Prometheus orders series by their sorted label pairs, __name__ included."""
    return sorted({"__name__": name, **labels}.items())


def make_series(name: str, labels: Mapping[str, str], *segments: Segment) -> Series:
    return Series(name, tuple(sorted(labels.items())), tuple(segments))


def grouped(labels: Mapping[str, str], by: Sequence[str]) -> dict[str, str]:
    """The labels `sum by (by)` keeps: the grouping labels the series has (non-empty)."""
    return {k: labels[k] for k in by if labels.get(k)}


def firing_check(rule: "Rule", at_ms: int, out_labels: Mapping[str, str], value: float | None, env: TestEnv) -> Check:
    """The alert firing at `at_ms`; the env gives the external labels templates may read."""
    return Check(at_ms, (expected_alert(rule, out_labels, value, env.external_labels, env.release, env.evaluated_at(at_ms)),))


class EmptyWindow(Exception):
    """A rate/increase window that holds fewer than two samples of the test series: the
    expression is always empty, so no case can fire."""


def windowed(value: float | None, window: object) -> float:
    """A rate or increase predicted over `window`, or EmptyWindow when it is empty."""
    if value is None:
        raise EmptyWindow(f"a {window} window never holds two samples")
    return value


def safe_groups(env: TestEnv, alert: "AlertBase", build: Any) -> list[Group]:
    """Run one kind's builder; a template sfmon cannot predict, or a window that is always
    empty, drops the firing cases only."""
    try:
        return list(build(True))
    except EmptyWindow as exc:
        env.notes.append(f"{alert.name}: firing cases not generated: {exc}")
        return list(build(False))
    except Unsupported as exc:
        why = "it depends on the running server" if isinstance(exc, NeedsServer) else "sfmon cannot predict it"
        env.notes.append(
            f"{alert.name}: firing cases not generated ({exc}: {why}); write the expected annotations in a test under `tests:`"
        )
        return list(build(False))


def counter(step: Decimal | int, at_ms: int, interval_ms: int) -> Segment:
    return Segment(Decimal(0), Decimal(step), steps(at_ms, interval_ms))


def constant(value: Decimal | int, at_ms: int, interval_ms: int) -> Segment:
    return Segment(Decimal(value), Decimal(0), steps(at_ms, interval_ms))

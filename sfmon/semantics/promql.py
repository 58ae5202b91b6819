"""The float arithmetic of Prometheus that generated rule tests must predict, step for step.

promtool compares annotations as text, and `{{ $value }}` prints every digit, so the value
of an alert expression is computed here with the same IEEE operations in the same order:
promtool's expanding series notation (repeated addition), rate()/increase() with their
extrapolation, and histogram_quantile's linear interpolation. Only what sfmon's alert
kinds use is covered.

The default is Prometheus 2.42's (the Debian promtool sfmon proves with); `version=` picks
another line's boundaries: 3.x made range windows and the 5m lookback open on the left, so
a sample exactly `range` (or 5m) old is no longer seen.
"""

from __future__ import annotations

import math
from itertools import accumulate, repeat
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from sfmon.semantics.units import fmt_number


@dataclass(frozen=True)
class Version:
    """The Prometheus line whose PromQL boundaries are predicted."""

    major: int
    minor: int

    @property
    def left_open(self) -> bool:
        """Windows `(t - range, t]` (3.x) rather than `[t - range, t]` (2.x); 3.x also
        changed the order of rate()'s start extrapolation limits."""
        return self.major >= 3


PROMETHEUS_2_42 = Version(2, 42)
PROMETHEUS_3 = Version(3, 0)
DEFAULT = PROMETHEUS_2_42
LOOKBACK_MS = 300_000  # --query.lookback-delta's default, promtool's too


def _inside(t: int, start: int, end: int, version: Version) -> bool:
    return (start < t if version.left_open else start <= t) and t <= end


@dataclass(frozen=True, slots=True)
class Segment:
    """`start+stepxtimes` in promtool's notation: times+1 samples, start, start+step, ..."""

    start: Decimal
    step: Decimal
    times: int

    def notation(self) -> str:
        if self.step == 0:
            return f"{fmt_number(self.start)}x{self.times}"
        sign = "+" if self.step > 0 else "-"
        return f"{fmt_number(self.start)}{sign}{fmt_number(abs(self.step))}x{self.times}"


def notation(segments: Sequence[Segment]) -> str:
    return " ".join(s.notation() for s in segments)


# What a prediction may load: past this, promtool could not run the case either, and an
# interval of centuries at minute steps once took a sweep worker to 10 GB.
MAX_SAMPLES = 1_000_000


class TooManySamples(ValueError):
    """A series longer than MAX_SAMPLES: the case is not generated."""


def samples(segments: Sequence[Segment]) -> list[float]:
    """The values promtool loads: its parser adds the step repeatedly, in float64."""
    total = sum(s.times + 1 for s in segments)
    if total > MAX_SAMPLES:
        raise TooManySamples(f"a series of {total:,} samples (at most {MAX_SAMPLES:,})")
    out: list[float] = []
    for s in segments:
        # accumulate adds in C, in the same order: v, v+step, (v+step)+step, ...
        out.extend(accumulate(repeat(float(str(s.step)), s.times), initial=float(str(s.start))))
    return out


def window(
    values: Sequence[float], interval_ms: int, at_ms: int, range_ms: int, version: Version = DEFAULT
) -> list[tuple[int, float]]:
    """Samples a range selector sees at `at_ms`: [at - range, at] in 2.x, (at - range, at] in 3.x."""
    start = at_ms - range_ms
    if interval_ms <= 0:
        return [(i * interval_ms, v) for i, v in enumerate(values) if _inside(i * interval_ms, start, at_ms, version)]
    # The indexes whose time i * interval_ms is inside, in integers, instead of a test per sample.
    first = start // interval_ms + 1 if version.left_open else -(-start // interval_ms)
    last = min(at_ms // interval_ms, len(values) - 1)
    return [(i * interval_ms, values[i]) for i in range(max(first, 0), last + 1)]


def extrapolated_rate(
    points: Sequence[tuple[int, float]], at_ms: int, range_ms: int, is_counter: bool, is_rate: bool, version: Version = DEFAULT
) -> float | None:
    """promql/functions.go extrapolatedRate. 2.42 cuts the start off where the counter would
    reach zero and then limits it to half a sample interval; 3.x limits it first."""
    if len(points) < 2:
        return None
    range_start, range_end = at_ms - range_ms, at_ms
    first_t, first_v = points[0]
    last_t, last_v = points[-1]
    result = last_v - first_v
    if is_counter:
        prev = first_v
        for _, v in points[1:]:
            if v < prev:
                result += prev
            prev = v
    duration_to_start = (first_t - range_start) / 1000
    duration_to_end = (range_end - last_t) / 1000
    sampled = (last_t - first_t) / 1000
    average = sampled / (len(points) - 1)
    threshold = average * 1.1

    def cut_at_zero(start: float) -> float:
        if is_counter and result > 0 and first_v >= 0:
            return min(start, sampled * (first_v / result))
        return start

    if version.left_open:  # 3.x
        if duration_to_start >= threshold:
            duration_to_start = average / 2
        duration_to_start = cut_at_zero(duration_to_start)
    else:
        duration_to_start = cut_at_zero(duration_to_start)
        if duration_to_start >= threshold:
            duration_to_start = average / 2
    if duration_to_end >= threshold:
        duration_to_end = average / 2
    factor = (sampled + duration_to_start + duration_to_end) / sampled
    if is_rate:
        factor /= range_ms / 1000
    return result * factor


def rate(
    values: Sequence[float], interval_ms: int, at_ms: int, range_ms: int, is_rate: bool = True, version: Version = DEFAULT
) -> float | None:
    return extrapolated_rate(window(values, interval_ms, at_ms, range_ms, version), at_ms, range_ms, True, is_rate, version)


def gauge(values: Sequence[float], interval_ms: int, at_ms: int, version: Version = DEFAULT) -> float | None:
    """An instant selector: the newest sample at or before `at_ms` within the lookback; in
    2.42 a sample exactly 5m old still counts (engine.go: dropped only when t < ref - 5m)."""
    seen = [(i * interval_ms, v) for i, v in enumerate(values) if _inside(i * interval_ms, at_ms - LOOKBACK_MS, at_ms, version)]
    return seen[-1][1] if seen else None


def bucket_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """promql/quantile.go bucketQuantile for classic buckets: (upper bound, cumulative count)."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    bs = sorted(buckets)
    if not bs or not math.isinf(bs[-1][0]):
        return math.nan
    merged: list[list[float]] = []
    for le, count in bs:  # coalesceBuckets: equal bounds add up
        if merged and merged[-1][0] == le:
            merged[-1][1] += count
        else:
            merged.append([le, count])
    for i in range(1, len(merged)):  # ensureMonotonic
        if merged[i][1] < merged[i - 1][1]:
            merged[i][1] = merged[i - 1][1]
    if len(merged) < 2:
        return math.nan
    observations = merged[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    return start + (end - start) * (rank / count)


def fsum(values: Sequence[float]) -> float:
    """sum(): left to right from the first value, as the aggregation does."""
    total = values[0]
    for v in values[1:]:
        total += v
    return total


def over_window(
    values: Sequence[float], interval_ms: int, at_ms: int, range_ms: int, function: str, version: Version = DEFAULT
) -> float | None:
    """`function(x[range])` at `at_ms` for increase, delta, changes and resets (None: no output)."""
    points = window(values, interval_ms, at_ms, range_ms, version)
    if function in ("increase", "delta"):
        return extrapolated_rate(points, at_ms, range_ms, function == "increase", False, version)
    if not points:
        return None
    vs = [v for _, v in points]
    pairs = zip(vs, vs[1:])
    if function == "changes":  # funcChanges: a NaN after a NaN is no change
        return float(sum(1 for a, b in pairs if b != a and not (math.isnan(a) and math.isnan(b))))
    if function == "resets":
        return float(sum(1 for a, b in pairs if b < a))
    raise ValueError(f"unknown range function {function!r}")


def _kahan_inc(inc: float, total: float, c: float) -> tuple[float, float]:
    """kahanSumInc (Neumaier's variant), as promql/functions.go sums a linear regression."""
    t = total + inc
    if abs(total) >= abs(inc):
        c += (total - t) + inc
    else:
        c += (inc - t) + total
    return t, c


def linear_regression(points: Sequence[tuple[int, float]], intercept_ms: int) -> tuple[float, float]:
    """promql/functions.go linearRegression: (slope per second, value at intercept_ms)."""
    n = sum_x = c_x = sum_y = c_y = sum_xy = c_xy = sum_x2 = c_x2 = 0.0
    init_y = points[0][1]
    const_y = True
    for i, (t, v) in enumerate(points):
        if const_y and i > 0 and v != init_y:
            const_y = False
        n += 1.0
        x = (t - intercept_ms) / 1e3
        sum_x, c_x = _kahan_inc(x, sum_x, c_x)
        sum_y, c_y = _kahan_inc(v, sum_y, c_y)
        sum_xy, c_xy = _kahan_inc(x * v, sum_xy, c_xy)
        sum_x2, c_x2 = _kahan_inc(x * x, sum_x2, c_x2)
    if const_y:
        return (math.nan, math.nan) if math.isinf(init_y) else (0.0, init_y)
    sum_x, sum_y, sum_xy, sum_x2 = sum_x + c_x, sum_y + c_y, sum_xy + c_xy, sum_x2 + c_x2
    cov_xy = sum_xy - sum_x * sum_y / n
    var_x = sum_x2 - sum_x * sum_x / n
    slope = cov_xy / var_x
    return slope, sum_y / n - slope * sum_x / n


def predict_linear(
    values: Sequence[float], interval_ms: int, at_ms: int, range_ms: int, horizon_s: float, version: Version = DEFAULT
) -> float | None:
    """predict_linear(x[range], horizon) at `at_ms`: no output under two samples."""
    points = window(values, interval_ms, at_ms, range_ms, version)
    if len(points) < 2:
        return None
    slope, intercept = linear_regression(points, at_ms)
    return slope * horizon_s + intercept

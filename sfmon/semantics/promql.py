"""The float arithmetic of Prometheus 2.x that generated rule tests must predict, step for step.

promtool compares annotations as text, and `{{ $value }}` prints every digit, so the value
of an alert expression is computed here with the same IEEE operations in the same order:
promtool's expanding series notation (repeated addition), rate()/increase() with their
extrapolation, and histogram_quantile's linear interpolation. Only what sfmon's alert
kinds use is covered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from sfmon.semantics.units import fmt_number


@dataclass(frozen=True)
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


def samples(segments: Sequence[Segment]) -> list[float]:
    """The values promtool loads: its parser adds the step repeatedly, in float64."""
    out: list[float] = []
    for s in segments:
        v, step = float(str(s.start)), float(str(s.step))
        for _ in range(s.times + 1):
            out.append(v)
            v += step
    return out


def window(values: Sequence[float], interval_ms: int, at_ms: int, range_ms: int, prom3: bool = False) -> list[tuple[int, float]]:
    """Samples a range selector sees at `at_ms`: timestamps in [at - range, at] (2.x: closed on
    the left), or in (at - range, at] (3.x: left-open)."""
    start = at_ms - range_ms
    return [(i * interval_ms, v) for i, v in enumerate(values) if (start < i * interval_ms if prom3 else start <= i * interval_ms) and i * interval_ms <= at_ms]


def extrapolated_rate(
    points: Sequence[tuple[int, float]], at_ms: int, range_ms: int, is_counter: bool, is_rate: bool, prom3: bool = False
) -> float | None:
    """promql/functions.go extrapolatedRate, as in Prometheus 2.42, or (prom3) as in 3.x, which
    caps the start at half a sample interval before it clamps it at the counter's zero point."""
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
    if prom3 and duration_to_start >= threshold:
        duration_to_start = average / 2
    if is_counter and result > 0 and first_v >= 0:
        duration_to_zero = sampled * (first_v / result)
        if duration_to_zero < duration_to_start:
            duration_to_start = duration_to_zero
    extrapolate_to = sampled
    extrapolate_to += duration_to_start if prom3 or duration_to_start < threshold else average / 2
    extrapolate_to += duration_to_end if duration_to_end < threshold else average / 2
    factor = extrapolate_to / sampled
    if is_rate:
        factor /= range_ms / 1000
    return result * factor


def rate(values: Sequence[float], interval_ms: int, at_ms: int, range_ms: int, is_rate: bool = True, prom3: bool = False) -> float | None:
    return extrapolated_rate(window(values, interval_ms, at_ms, range_ms, prom3), at_ms, range_ms, True, is_rate, prom3)


def gauge(values: Sequence[float], interval_ms: int, at_ms: int) -> float | None:
    """An instant selector: the newest sample at or before `at_ms` (within the 5m lookback)."""
    seen = [(i * interval_ms, v) for i, v in enumerate(values) if at_ms - 300_000 < i * interval_ms <= at_ms]
    return seen[-1][1] if seen else None


def bucket_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """promql/quantile.go bucketQuantile for classic buckets: (upper bound, cumulative count)."""
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

"""Alertmanager's time intervals (timeinterval/timeinterval.go), re-implemented: what each
field accepts, with upstream's messages, and whether an instant is inside an interval.

Pure. Semantics of Alertmanager 0.25 through 0.34 (the file is the same in them):
- a field that is set must match (an empty list matches nothing, as Go's non-nil empty
  slice); an interval with no field set is always inside;
- `times` are [start, end) minutes of the local day; weekdays, days of month, months and
  years are inclusive ranges; names are case-insensitive;
- negative days of month count from the month's end (-1 the last day), then clamp to it;
  a range starting after the month's end is skipped;
- the instant is taken in the interval's `location` (an IANA zone), else in UTC, as the
  notification pipeline passes `now.UTC()`.
The month length behind negative days is the elapsed hours from the 1st to the next 1st,
divided by 24 and truncated, as released Alertmanagers compute it: in a zone whose month
springs forward that is one day short (upstream fixed it on main, #5447, unreleased);
`calendar_month=True` gives the fixed reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class IntervalError(ValueError):
    """A time interval Alertmanager refuses; the message is upstream's."""


WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
FIELDS = ("times", "weekdays", "days_of_month", "months", "years", "location")

_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")
_ATOI = re.compile(r"[+-]?[0-9]+")
_INT64 = 2**63


@dataclass(frozen=True)
class TimeRange:
    start: int  # minutes since local midnight, inclusive
    end: int  # exclusive


@dataclass(frozen=True)
class Range:
    begin: int
    end: int


@dataclass(frozen=True)
class TimeInterval:
    """None: the field is not set (anything matches); a tuple, maybe empty: one must match."""

    times: tuple[TimeRange, ...] | None = None
    weekdays: tuple[Range, ...] | None = None
    days_of_month: tuple[Range, ...] | None = None
    months: tuple[Range, ...] | None = None
    years: tuple[Range, ...] | None = None
    location: str | None = None


# --- parsing (the UnmarshalYAML methods) ---------------------------------------------------


def _atoi(text: str) -> int:
    """Go's strconv.Atoi: an optional sign and decimal digits, in int64."""
    if not _ATOI.fullmatch(text):
        raise IntervalError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    n = int(text)
    if not -_INT64 <= n < _INT64:
        raise IntervalError(f'strconv.Atoi: parsing "{text}": value out of range')
    return n


def _weekday(text: str) -> int:
    if text not in WEEKDAYS:
        raise IntervalError(f"{text} is not a valid weekday")
    return WEEKDAYS.index(text)


def _month(text: str) -> int:
    if text in MONTHS:
        return MONTHS.index(text) + 1
    try:
        return _atoi(text)
    except IntervalError:
        raise IntervalError(f"{text} is not a valid month") from None


def _range(text: str, member: Callable[[str], int]) -> Range:
    """stringableRangeFromString: `a` or `a:b`, lower-cased first."""
    text = text.lower()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise IntervalError(f"couldn't parse range {text}, invalid format")
        return Range(member(parts[0]), member(parts[1]))
    n = member(text)
    return Range(n, n)


def parse_time(text: str) -> int:
    """`HH:MM` (00:00 to 24:00) as minutes."""
    if not _TIME.fullmatch(text):
        raise IntervalError(f"couldn't parse timestamp {text}, invalid format")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_time_range(start: str | None, end: str | None) -> TimeRange:
    if not start or not end:
        raise IntervalError("both start and end times must be provided")
    a, b = parse_time(start), parse_time(end)
    if a >= b:
        raise IntervalError("start time cannot be equal or greater than end time")
    return TimeRange(a, b)


def parse_weekdays(text: str) -> Range:
    r = _range(text, _weekday)
    if r.begin > r.end:
        raise IntervalError("start day cannot be before end day")
    return r


def parse_days_of_month(text: str) -> Range:
    r = _range(text, _atoi)
    for n in (r.begin, r.end):
        if n == 0 or n < -31 or n > 31:
            raise IntervalError(f"{n} is not a valid day of the month: out of range")
    if r.begin < 0 and r.end > 0:
        raise IntervalError("end day must be negative if start day is negative")
    # Upstream judges a mixed range against a 28-day month: "10:-25" is day 10 to day 3.
    begin = 28 + r.begin if r.begin < 0 else r.begin
    end = 28 + r.end if r.end < 0 else r.end
    if begin > end:
        raise IntervalError(f"end day {r.end} is always before start day {r.begin}")
    return r


def _month_name(n: int) -> str:
    return MONTHS[n - 1] if 1 <= n <= 12 else ""  # Go's map lookup of a missing key


def parse_months(text: str) -> Range:
    # A number outside 1..12 is accepted upstream too (it never matches).
    r = _range(text, _month)
    if r.begin > r.end:
        raise IntervalError(f"end month {_month_name(r.end)} is before start month {_month_name(r.begin)}")
    return r


def parse_years(text: str) -> Range:
    r = _range(text, _atoi)
    if r.begin > r.end:
        raise IntervalError(f"end year {r.end} is before start year {r.begin}")
    return r


def load_zone(name: str) -> ZoneInfo:
    """An IANA zone as Go's time.LoadLocation finds it in the system's tz database. "" and
    "Local" (UTC and the server's own zone in Go) are refused: what they mean depends on
    where Alertmanager runs, so no test here could predict it."""
    if name in ("", "Local"):
        raise IntervalError(f'unknown time zone "{name}": name an IANA zone such as UTC or Europe/Berlin')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise IntervalError(f"unknown time zone {name}") from None


PARSERS: dict[str, Callable[[str], Range]] = {
    "weekdays": parse_weekdays,
    "days_of_month": parse_days_of_month,
    "months": parse_months,
    "years": parse_years,
}


def parse_interval(data: Mapping[str, Any]) -> TimeInterval:
    """One item of a named interval's `time_intervals:` list, as parsed YAML."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise IntervalError(f"field {unknown[0]} not found in type timeinterval.plain")
    fields: dict[str, Any] = {}
    if data.get("times") is not None:
        fields["times"] = tuple(parse_time_range(t.get("start_time"), t.get("end_time")) for t in data["times"])
    for key, parse in PARSERS.items():
        if data.get(key) is not None:
            fields[key] = tuple(parse(str(v)) for v in data[key])
    if data.get("location") is not None:
        load_zone(str(data["location"]))
        fields["location"] = str(data["location"])
    return TimeInterval(**fields)


# --- evaluating (TimeInterval.ContainsTime) ------------------------------------------------


def days_in_month(local: datetime, calendar_month: bool = False) -> int:
    """The month length negative days count back from (see the module's docstring)."""
    return _month_days(local.year, local.month, local.tzinfo, calendar_month)


@lru_cache(maxsize=4096)  # a search asks for the same few months thousands of times
def _month_days(y: int, m: int, zone: Any, calendar_month: bool) -> int:
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    if calendar_month:
        return (datetime(ny, nm, 1) - datetime(y, m, 1)).days
    start = datetime(y, m, 1, tzinfo=zone).timestamp()
    end = datetime(ny, nm, 1, tzinfo=zone).timestamp()
    return int((end - start) / 3600 / 24)


def _clamp(n: int, low: int, high: int) -> int:
    return low if n <= low else high if n >= high else n


def _day_in(r: Range, day: int, dim: int) -> bool:
    begin = dim + r.begin + 1 if r.begin < 0 else r.begin
    end = dim + r.end + 1 if r.end < 0 else r.end
    if begin > dim:
        return False
    return _clamp(begin, -dim, dim) <= day <= _clamp(end, -dim, dim)


def contains(interval: TimeInterval, instant: datetime, calendar_month: bool = False) -> bool:
    """Whether `instant` (timezone-aware) is inside the interval."""
    if instant.tzinfo is None:
        raise ValueError("the instant needs a UTC offset")
    t = instant.astimezone(ZoneInfo(interval.location) if interval.location else timezone.utc)
    if interval.times is not None:
        minute = t.hour * 60 + t.minute
        if not any(r.start <= minute < r.end for r in interval.times):
            return False
    if interval.days_of_month is not None:
        dim = days_in_month(t, calendar_month)
        if not any(_day_in(r, t.day, dim) for r in interval.days_of_month):
            return False
    if interval.months is not None and not any(r.begin <= t.month <= r.end for r in interval.months):
        return False
    weekday = (t.weekday() + 1) % 7  # Go: Sunday is 0
    if interval.weekdays is not None and not any(r.begin <= weekday <= r.end for r in interval.weekdays):
        return False
    if interval.years is not None and not any(r.begin <= t.year <= r.end for r in interval.years):
        return False
    return True


def in_any(intervals: Sequence[TimeInterval], instant: datetime, calendar_month: bool = False) -> bool:
    """A named interval (a list of intervals) holds the instant when one of them does."""
    return any(contains(i, instant, calendar_month) for i in intervals)


def muted(
    named: Mapping[str, Sequence[TimeInterval]],
    mute: Sequence[str],
    active: Sequence[str],
    instant: datetime,
) -> bool:
    """Whether a route with these `mute_time_intervals` and `active_time_intervals` holds a
    notification back at `instant` (notify.TimeActiveStage, then TimeMuteStage): outside
    every active interval (when it names any), or inside a mute interval. KeyError for a
    name not in `named` (Alertmanager refuses that config)."""
    if active and not any(in_any(named[n], instant) for n in active):
        return True
    return any(in_any(named[n], instant) for n in mute)


# --- finding instants ------------------------------------------------------------------------

REFERENCE_YEAR = 2026  # where the search starts when no span names years: fixed, so results are stable
SEARCH_DAYS = 800


def _candidates(spans: Sequence[TimeInterval], start: datetime, days: int) -> Iterator[datetime]:
    """Instants worth trying, day by day, lazily (a search mostly ends on its first days):
    each span's local midnight, noon, last minute, and the edges of its times ([start, end)
    and the minute each side)."""
    from datetime import timedelta

    plans = []
    for span in spans or [TimeInterval()]:
        minutes = {0, 720, 1439}
        for r in span.times or ():
            minutes |= {r.start, r.end - 1, r.end % 1440, (r.start - 1) % 1440}
        plans.append((ZoneInfo(span.location) if span.location else timezone.utc, [divmod(m, 60) for m in sorted(minutes)]))
    for d in range(days):
        day = start + timedelta(days=d)
        for zone, hours_minutes in plans:
            for h, m in hours_minutes:
                yield datetime(day.year, day.month, day.day, h, m, tzinfo=zone)


def find_instant(named: Sequence[Sequence[TimeInterval]], want: Callable[[datetime], bool]) -> datetime | None:
    """The first candidate instant (in UTC) for which `want` holds, searching SEARCH_DAYS from
    the first year the intervals name (else REFERENCE_YEAR); None if there is none there."""
    spans = [s for intervals in named for s in intervals]
    years = [r.begin for s in spans for r in s.years or ()]
    year = max(2, min(years)) if years else REFERENCE_YEAR  # year 1 in a zone east of UTC is before datetime.min in UTC
    if year > 9000:
        return None
    for t in _candidates(spans, datetime(year, 1, 1), SEARCH_DAYS):
        if want(t):
            return t.astimezone(timezone.utc)
    return None

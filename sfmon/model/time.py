"""Time in Alertmanager: named time intervals (routes mute or activate on them) and
maintenance windows (silences sfmon keeps in a running Alertmanager)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Callable

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from sfmon.model.base import FieldError, NonEmpty, Slug, StrictModel
from sfmon.semantics import timeintervals as ti
from sfmon.semantics.matchers import MatcherError, parse_one


def _text(value: Any) -> Any:
    # Alertmanager reads each range as a string; YAML's 5 or -1 is meant as "5" or "-1".
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _ranged(parse: Callable[[str], Any], example: str) -> Any:
    def check(value: str) -> str:
        try:
            parse(value)
        except ti.IntervalError as exc:
            raise ValueError(str(exc)) from None
        return value

    return Annotated[
        str, BeforeValidator(_text), AfterValidator(check),
        WithJsonSchema({"type": ["string", "integer"], "examples": [example]}),
    ]  # fmt: skip


Weekdays = _ranged(ti.parse_weekdays, "monday:friday")
DaysOfMonth = _ranged(ti.parse_days_of_month, "-7:-1")
Months = _ranged(ti.parse_months, "january:march")
Years = _ranged(ti.parse_years, "2026:2027")


def _clock(value: str) -> str:
    try:
        ti.parse_time(value)
    except ti.IntervalError as exc:
        raise ValueError(str(exc)) from None
    return value


Clock = Annotated[str, AfterValidator(_clock), WithJsonSchema({"type": "string", "pattern": r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"})]


class TimeRange(StrictModel):
    start_time: Clock = Field(description="HH:MM, inclusive (00:00 to 23:59)")
    end_time: Clock = Field(description="HH:MM, exclusive (00:01 to 24:00), after start_time")

    @model_validator(mode="after")
    def _ordered(self) -> "TimeRange":
        if ti.parse_time(self.start_time) >= ti.parse_time(self.end_time):
            raise FieldError(("end_time",), "start time cannot be equal or greater than end time")
        return self


def _zone(value: str) -> str:
    try:
        ti.load_zone(value)
    except ti.IntervalError as exc:
        raise ValueError(str(exc)) from None
    return value


class TimeSpan(StrictModel):
    """One period of a named interval: every field that is set must hold (an empty list never does)."""

    times: list[TimeRange] | None = Field(default=None, description="times of day, [start_time, end_time)")
    weekdays: list[Weekdays] | None = Field(default=None, description="`monday`, `monday:friday` (sunday to saturday)")
    days_of_month: list[DaysOfMonth] | None = Field(
        default=None, description="`1`, `1:15`, `-1` (the last day), `-7:-1`; negative days count from the month's end"
    )
    months: list[Months] | None = Field(default=None, description="`june`, `january:march` or numbers 1-12")
    years: list[Years] | None = Field(default=None, description="`2026`, `2026:2027`")
    location: Annotated[str, AfterValidator(_zone)] | None = Field(
        default=None, description="IANA time zone the times and days are read in, e.g. Europe/Berlin; omitted: UTC"
    )

    def interval(self) -> ti.TimeInterval:
        return ti.parse_interval(self.model_dump(exclude_none=True))


class TimeInterval(StrictModel):
    """A named set of periods; routes name it in `mute_time_intervals` / `active_time_intervals`."""

    name: NonEmpty
    time_intervals: list[TimeSpan] = Field(
        default_factory=list, description="the periods; inside any of them is inside the interval (none: never inside)"
    )

    def intervals(self) -> tuple[ti.TimeInterval, ...]:
        return tuple(s.interval() for s in self.time_intervals)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give the time with its UTC offset, e.g. 2026-12-24T18:00:00+01:00 or ...Z")
    return value


def _instant(value: Any) -> Any:
    # YAML 1.2 leaves 2026-12-24T18:00:00Z a string; read it as RFC 3339 (Z is UTC).
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"invalid time {value!r}: RFC 3339, e.g. 2026-12-24T18:00:00Z") from None
    return value


Instant = Annotated[
    datetime, BeforeValidator(_instant), AfterValidator(_aware),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]  # fmt: skip


def _matcher(value: str) -> str:
    # As the newest Alertmanager reads a silence's matcher (fallback mode); a matcher only
    # 0.27 and later read is refused for older targets by model/matcher_rules.
    try:
        parse_one(value, fallback=True)
    except MatcherError as exc:
        raise ValueError(f"bad matcher {value!r}: {exc}") from None
    return value


Matcher = Annotated[str, AfterValidator(_matcher)]


class Maintenance(StrictModel):
    """A maintenance window: a silence `sfmon silences apply` keeps in Alertmanager."""

    name: Slug = Field(description="identifies the window's silence across edits (its comment carries [sfmon PROJECT/NAME])")
    matchers: list[Matcher] = Field(min_length=1, description='the alerts it silences, in Alertmanager\'s syntax: `job="db"`, `severity!="critical"`')
    start: Instant = Field(description="RFC 3339 with offset, e.g. 2026-12-24T18:00:00Z")
    end: Instant = Field(description="after start")
    comment: NonEmpty = Field(description="why; shown on the silence")
    creator: NonEmpty = Field(description="who is responsible (the silence's createdBy)")

    @field_validator("matchers")
    @classmethod
    def _not_all_empty(cls, value: list[str]) -> list[str]:
        # Alertmanager refuses a silence whose every matcher matches the empty string.
        if all(parse_one(m, fallback=True).matches({}) for m in value):
            raise ValueError("at least one matcher must not match the empty string (Alertmanager refuses the silence)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Maintenance":
        if self.end <= self.start:
            raise FieldError(("end",), f"end {self.end.isoformat()} is not after start {self.start.isoformat()}")
        return self

    def utc(self, which: str) -> str:
        """start or end as Alertmanager's API writes it: RFC 3339 in UTC, milliseconds."""
        t: datetime = getattr(self, which).astimezone(timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

"""Readable units of the spec: durations (`5m`), percentages (`5%`), plain numbers.

Values keep the text the user wrote (for diffs and messages) and an exact Decimal (for
rendering), so `7%` renders as `0.07`, never `0.07000000000000001`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

# Prometheus' own duration grammar (prometheus/common model.ParseDuration): units in
# descending order, or a bare "0". ASCII digits only: Python's \d and int() also read other
# scripts' digits ("٥m" as 5m), which Prometheus refuses.
_DURATION_RE = re.compile(
    r"^(?:0|(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?)$"
)
_DECIMAL_RE = re.compile(r"^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$")
_MS = (365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1)
MAX_MS = (2**63 - 1) // 1_000_000  # ~292 years


class Duration(str):
    """A Prometheus duration string; `.ms` is its length in milliseconds."""

    ms: int

    def __new__(cls, text: str) -> "Duration":
        m = _DURATION_RE.match(text)
        if not text or not m:
            raise ValueError(f"invalid duration {text!r}: use Prometheus units like 30s, 5m, 1h30m, 15d")
        self = super().__new__(cls, text)
        self.ms = sum(int(g) * mult for g, mult in zip(m.groups(), _MS) if g)
        if self.ms > MAX_MS:  # Prometheus keeps durations as int64 nanoseconds
            raise ValueError(f"duration {text!r} is out of range: at most 292y")
        return self

    @property
    def seconds(self) -> Decimal:
        return Decimal(self.ms) / 1000

    @property
    def go(self) -> str:
        """As Go's time.ParseDuration reads it (no d, w or y): for the exporters' own configs."""
        return format_go_duration_ms(self.ms)


def format_go_duration_ms(ms: int) -> str:
    """`1h30m`, `672h` for 4w, `1.5s`... in Go's units: h, m, s, ms."""
    out = []
    for unit, mult in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= mult:
            out.append(f"{ms // mult}{unit}")
            ms %= mult
    return "".join(out) or "0s"


def format_duration_ms(ms: int) -> str:
    """A length in milliseconds as Prometheus prints it (model.Duration.String): 0 -> '0s',
    and years and weeks only when they divide it evenly (`23d1h`, not `3w2d1h`)."""
    if ms == 0:
        return "0s"
    sign, ms = ("-", -ms) if ms < 0 else ("", ms)
    out = []
    for unit, mult in zip(("y", "w", "d", "h", "m", "s", "ms"), _MS):
        if unit in ("y", "w") and ms % mult:
            continue
        if ms >= mult:
            out.append(f"{ms // mult}{unit}")
            ms %= mult
    return sign + "".join(out)


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration string like '5m', got {type(value).__name__}")
    return Duration(value.strip())


def _nonzero_duration(value: Any) -> Duration:
    d = _duration(value)
    if d.ms == 0:
        raise ValueError("duration must be greater than zero")
    return d


_DUR_SCHEMA = {"type": "string", "minLength": 1, "pattern": _DURATION_RE.pattern, "examples": ["15s", "5m", "1h30m"]}

DurationStr = Annotated[
    Duration, PlainValidator(_duration), PlainSerializer(str, return_type=str), WithJsonSchema(_DUR_SCHEMA)
]
PositiveDuration = Annotated[
    Duration, PlainValidator(_nonzero_duration), PlainSerializer(str, return_type=str), WithJsonSchema(_DUR_SCHEMA)
]


class Percent(str):
    """`5%` or `99.5%`; `.fraction` is the exact ratio (0.05)."""

    fraction: Decimal

    def __new__(cls, text: str) -> "Percent":
        body = text.strip()
        if not body.endswith("%"):
            raise ValueError(f"expected a percentage like '5%', got {text!r}")
        number = body[:-1].strip()
        if not _DECIMAL_RE.match(number):  # Decimal() would read "nan", "1e2" and other scripts' digits
            raise ValueError(f"expected a percentage like '5%' or '99.5%' (ASCII digits), got {text!r}")
        try:
            value = Decimal(number)
        except InvalidOperation:
            raise ValueError(f"expected a percentage like '5%', got {text!r}") from None
        if not value.is_finite() or value < 0 or value > 100:
            raise ValueError(f"must be between 0% and 100%, got {text!r}")
        self = super().__new__(cls, body)
        self.fraction = value / 100
        return self


def _percent(value: Any) -> Percent:
    if isinstance(value, Percent):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a percentage string like '5%', got {type(value).__name__} {value!r}")
    return Percent(value)


PercentStr = Annotated[
    Percent,
    PlainValidator(_percent),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*[0-9.]+\s*%$", "examples": ["5%", "99.5%"]}),
]


_FLOAT64_MAX = Decimal("1.7976931348623157e308")


def _signed_number(value: Any) -> Decimal:
    # bool is an int in Python; a YAML `true` is never a threshold.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    d = Decimal(str(value))
    if not d.is_finite():
        raise ValueError(f"must be a finite number, got {value!r}")
    if abs(d) > _FLOAT64_MAX:  # PromQL numbers are float64: promtool refuses the expression
        raise ValueError("must be at most 1.8e308 (PromQL numbers are float64)")
    return d


def _number(value: Any) -> Decimal:
    d = _signed_number(value)
    if d < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    return d


Number = Annotated[
    Decimal,
    PlainValidator(_number),
    PlainSerializer(lambda d: int(d) if d == d.to_integral_value() else float(d), return_type=float),
    WithJsonSchema({"type": "number", "minimum": 0}),
]

# For what can go below zero (a gauge such as a temperature or a clock offset, a delta).
SignedNumber = Annotated[
    Decimal,
    PlainValidator(_signed_number),
    PlainSerializer(lambda d: int(d) if d == d.to_integral_value() else float(d), return_type=float),
    WithJsonSchema({"type": "number"}),
]


def _ratio_value(value: Any) -> Percent | Decimal:
    return _percent(value) if isinstance(value, str) else _number(value)


# A ratio's threshold: a percentage of a whole ('5%'), or a plain number for a ratio that is
# not a share or passes 1 (seconds per operation, bytes per request).
RatioValue = Annotated[
    Percent | Decimal,
    PlainValidator(_ratio_value),
    PlainSerializer(lambda v: str(v) if isinstance(v, Percent) else (int(v) if v == v.to_integral_value() else float(v))),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*[0-9.]+\s*%$", "examples": ["5%", "99.5%"]},
                {"type": "number", "minimum": 0},
            ]
        }
    ),
]


def ratio_fraction(value: Percent | Decimal) -> Decimal:
    """The threshold as the expression's number: 5% -> 0.05, 2.5 -> 2.5."""
    return value.fraction if isinstance(value, Percent) else value


def _finite_float(value: Any) -> float:
    # bool is an int in Python; YAML's .nan and .inf are floats no consumer reads back.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    try:
        f = float(value)
    except OverflowError:
        raise ValueError("must be at most 1.8e308 (a float64)") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"must be a finite number, got {value!r}")
    return f


FiniteFloat = Annotated[float, PlainValidator(_finite_float), WithJsonSchema({"type": "number"})]


def fmt_number(value: Decimal | int | float) -> str:
    """Plain decimal text for PromQL and JSON: no exponent, no trailing zeros."""
    if type(value) is int:  # what the Decimal route below gives an int (bool is not one here)
        return str(value)
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if d == d.to_integral_value():
        # format(), not quantize(): 1e308 has more digits than the context's precision.
        return format(d.to_integral_value(), "f")
    text = format(d.normalize(), "f")
    return text

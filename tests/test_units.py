from decimal import Decimal

import pytest

from sfmon.semantics.units import Duration, Percent, fmt_number, format_duration_ms


@pytest.mark.parametrize(
    "text,ms",
    [("0s", 0), ("15s", 15_000), ("5m", 300_000), ("1h30m", 5_400_000), ("15d", 1_296_000_000), ("1s250ms", 1250), ("1y", 31_536_000_000)],
)
def test_duration_parses_prometheus_units(text, ms):
    assert Duration(text).ms == ms
    assert str(Duration(text)) == text


@pytest.mark.parametrize("text", ["", "5x", "-1m", "5", "1m1h", "1.5m", "5 m"])
def test_duration_rejects_what_prometheus_rejects(text):
    with pytest.raises(ValueError, match="invalid duration"):
        Duration(text)


def test_format_duration_roundtrip():
    for ms in (0, 1, 999, 1000, 61_000, 5_400_000, 1_296_000_000):
        assert Duration(format_duration_ms(ms)).ms == ms


@pytest.mark.parametrize("text,fraction", [("5%", "0.05"), ("70%", "0.7"), ("99.5%", "0.995"), ("0%", "0"), ("100%", "1"), ("7%", "0.07")])
def test_percent_is_exact(text, fraction):
    assert Percent(text).fraction == Decimal(fraction)
    assert fmt_number(Percent(text).fraction) == fraction


@pytest.mark.parametrize("text", ["105%", "-1%", "5", "abc%", "nan%", "inf%"])
def test_percent_rejects_out_of_range_and_garbage(text):
    with pytest.raises(ValueError):
        Percent(text)


def test_fmt_number_has_no_exponent_or_float_noise():
    assert fmt_number(Decimal("0.07")) == "0.07"
    assert fmt_number(Decimal("1E+3")) == "1000"
    assert fmt_number(Decimal("0.000001")) == "0.000001"
    assert fmt_number(5) == "5"
    assert fmt_number(0.1) == "0.1"

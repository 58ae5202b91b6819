"""sfmon's time intervals (sfmon.semantics.timeintervals) against Alertmanager's own cases
(timeinterval/timeinterval_test.go, as data in timeintervals.yaml), and every interval and
refusal of that data against the installed amtool 0.25's `check-config` (the referee for
what a config may hold; amtool has no command that evaluates an instant)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

import pytest
from cases import cited, load

from sfmon.semantics import timeintervals as ti

DATA = load("timeintervals.yaml")
CASES = list(cited(DATA))
ERRORS = list(cited(DATA, "errors"))


def instant(text: str) -> datetime:
    """Go's RFC822Z layout, "02 Jan 06 15:04 -0700" (two-digit years as Go reads them), or ISO 8601."""
    try:
        return datetime.strptime(text, "%d %b %y %H:%M %z")
    except ValueError:
        return datetime.fromisoformat(text)


def _struct(data: dict) -> ti.TimeInterval:
    """An upstream struct literal the YAML parser would refuse, built field by field."""

    def rng(text: str) -> ti.Range:
        a, _, b = text.partition(":")
        return ti.Range(int(a), int(b or a))

    return ti.TimeInterval(**{k: tuple(rng(v) for v in vs) for k, vs in data.items()})


@pytest.mark.parametrize("case", [c for _, _, c in CASES], ids=[i for i, _, _ in CASES])
def test_contains(case):
    interval = _struct(case["interval"]) if case.get("struct") else ti.parse_interval(case["interval"])
    calendar = bool(case["_group"].get("calendar_month"))
    for t in case.get("contains") or []:
        assert ti.contains(interval, instant(t), calendar), t
    for t in case.get("excludes") or []:
        assert not ti.contains(interval, instant(t), calendar), t
    if "minutes" in case:
        assert [[r.start, r.end] for r in interval.times] == case["minutes"]


@pytest.mark.parametrize("case", [c for _, _, c in ERRORS], ids=[i for i, _, _ in ERRORS])
def test_refused_with_upstreams_message(case):
    with pytest.raises(ti.IntervalError) as err:
        ti.parse_interval(case["interval"])
    assert str(err.value) == case["error"]


_NAMED = [g for g in DATA["groups"] if "named" in g]


@pytest.mark.parametrize("case", [c for g in _NAMED for c in g["mutes"]], ids=lambda c: c["now"])
def test_mutes_names_every_interval_holding_now(case):
    """Intervener.Mutes: the names of the intervals that hold `now`; muted when there is one."""
    named = {n: [ti.parse_interval(i) for i in items] for n, items in _NAMED[0]["named"].items()}
    now = instant(case["now"])
    assert [n for n in sorted(named) if ti.in_any(named[n], now)] == case["muted_by"]
    assert ti.muted(named, sorted(named), [], now) is bool(case["muted_by"])
    # the same names as active intervals: held back exactly when none holds now
    assert ti.muted(named, [], sorted(named), now) is (not case["muted_by"])


def _config(tmp_path, n: int, interval: dict) -> str:
    path = tmp_path / f"ti{n}.yml"
    path.write_text(
        "route: {receiver: r, routes: [{receiver: r, mute_time_intervals: [t]}]}\n"
        "receivers: [{name: r}]\n"
        f"time_intervals: [{{name: t, time_intervals: [{json.dumps(interval)}]}}]\n",
        encoding="utf-8",
    )
    return str(path)


def test_amtool_accepts_every_interval_and_refuses_every_error(amtool, tmp_path):
    """The data's intervals are configs Alertmanager loads, its errors configs it refuses
    with the same message (amtool check-config prints upstream's error)."""
    for n, (cid, _, case) in enumerate(c for c in CASES if not c[2].get("struct")):
        out = subprocess.run([amtool, "check-config", _config(tmp_path, n, case["interval"])], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, (cid, out.stdout, out.stderr)
    for n, (cid, _, case) in enumerate(ERRORS):
        out = subprocess.run([amtool, "check-config", _config(tmp_path, 1000 + n, case["interval"])], capture_output=True, text=True, timeout=30)
        assert out.returncode != 0, cid
        assert case["error"] in out.stdout + out.stderr, (cid, out.stdout, out.stderr)

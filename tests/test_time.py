"""Time in routing and maintenance windows, offline: route tests at a time, the generated
inside/outside cases per interval, `sfmon diff` of intervals and windows, and the plan
`sfmon silences apply` makes from the silences an Alertmanager holds (the live half is
tests/live/test_time_live.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sfmon.derive import routing_tree
from sfmon.derive.interval_cases import interval_cases
from sfmon.derive.silences import owner, silences
from sfmon.pipeline import load_and_check_text
from sfmon.semantics import routing
from sfmon.spec.diff import diff_specs
from sfmon.spec.loader import parse_spec
from sfmon.tools.silences import CREATE, EXPIRE, KEEP, SKIP, UPDATE, plan

HEAD = """version: 1
project: timely
targets: [{name: api, addresses: ["api:8000"]}]
receivers:
  - {name: team, webhook: {url: "http://127.0.0.1:5001/"}}
  - {name: pager, webhook: {url: "http://127.0.0.1:5002/"}}
grafana: {admin_password_file: /run/secrets/grafana}
"""

ROUTING = """routing:
  receiver: team
  routes:
    - {match: {severity: critical}, notify: [pager], mute_time_intervals: [nights], active_time_intervals: [workdays]}
  time_intervals:
    - name: nights
      time_intervals: [{times: [{start_time: "00:00", end_time: "07:00"}], location: Europe/Berlin}]
    - name: workdays
      time_intervals: [{weekdays: ["monday:friday"]}]
"""


def spec(text: str):
    return parse_spec("s.yaml", HEAD + text)


def problems(text: str) -> list[str]:
    loaded, found = load_and_check_text("s.yaml", HEAD + text)
    return [str(p) for p in found]


def test_route_tests_at_a_time_predict_muted_and_delivered():
    tests = """  tests:
    - {labels: {severity: critical}, receivers: [pager], at: "2026-03-04T05:00:00+01:00", muted: [pager]}
    - {labels: {severity: critical}, receivers: [pager], at: "2026-03-04T07:00:00+01:00"}
    - {labels: {severity: critical}, receivers: [pager], at: "2026-03-07T12:00:00Z", muted: [pager]}
    - {labels: {severity: info}, receivers: [team], at: "2026-03-07T03:00:00Z"}
"""
    assert [p for p in problems(ROUTING + tests) if "error" in p] == []
    wrong = tests.replace('"2026-03-04T07:00:00+01:00"}', '"2026-03-04T07:00:00+01:00", muted: [pager]}')
    errors = [p for p in problems(ROUTING + wrong) if "error" in p]
    assert len(errors) == 1 and "expected muted: pager; the routes' time intervals mute: none" in errors[0], errors


def test_delivered_reads_the_route_s_own_intervals_only():
    tree = routing_tree.from_spec(spec(ROUTING))
    saturday_noon = datetime(2026, 3, 7, 12, tzinfo=timezone.utc)
    assert routing.delivered(tree, {"severity": "critical"}, saturday_noon) == [("pager", False)]
    assert routing.delivered(tree, {"severity": "info"}, saturday_noon) == [("team", True)]  # the root has none


def test_one_generated_case_inside_and_one_outside_each_interval():
    cases, skipped = interval_cases(routing_tree.from_spec(spec(ROUTING)))
    assert skipped == []
    got = {(c.interval, c.delivered) for c in cases}
    assert got == {("nights", False), ("nights", True), ("workdays", True), ("workdays", False)}
    tree = routing_tree.from_spec(spec(ROUTING))
    for c in cases:
        assert routing.delivered(tree, c.labels, c.at) == [("pager", c.delivered)], c.name
    inside_nights = next(c for c in cases if c.interval == "nights" and not c.delivered)
    assert inside_nights.at.astimezone(timezone(timedelta(hours=1))).hour < 7  # Berlin time, not UTC


def test_an_interval_that_is_always_inside_is_reported_untested():
    always = ROUTING.replace('[{weekdays: ["monday:friday"]}]', "[{}]")
    warned = [p for p in problems(always) if "warning" in p and "no instant outside" in p]
    assert len(warned) == 1 and "routing.time_intervals[1]" in warned[0], warned


def test_diff_names_intervals_and_windows():
    window = """maintenance:
  - {name: db, matchers: ['job="db"'], start: "2026-06-01T00:00:00Z", end: "2026-06-02T00:00:00Z", comment: c, creator: me}
"""
    old = spec(ROUTING + window)
    new = spec(ROUTING.replace('"monday:friday"', '"monday:thursday"') + window.replace("2026-06-02", "2026-06-03"))
    texts = [c.text() for c in diff_specs(old, new)]
    assert texts == [
        "routing: time interval 'workdays': time_intervals [{weekdays: [monday:friday]}] -> [{weekdays: [monday:thursday]}]",
        "maintenance db: end 2026-06-02T00:00:00+00:00 -> 2026-06-03T00:00:00+00:00",
    ]


# --- silences apply, as a plan ------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
WINDOWS = """maintenance:
  - {name: db, matchers: ['job="db"'], start: "2026-06-01T10:00:00Z", end: "2026-06-01T14:00:00Z", comment: upgrade, creator: me}
  - {name: net, matchers: ['job=~"sw.*"'], start: "2026-06-02T10:00:00Z", end: "2026-06-02T14:00:00Z", comment: firmware, creator: me}
  - {name: old, matchers: ['job="x"'], start: "2026-05-01T10:00:00Z", end: "2026-05-01T14:00:00Z", comment: over, creator: me}
"""


def _live(want: dict, sid: str, state: str = "active", **edits) -> dict:
    return {**want, "id": sid, "status": {"state": state}, "updatedAt": "2026-06-01T10:00:00.000Z", **edits}


def test_plan_creates_keeps_updates_and_expires_only_its_own():
    wanted = silences(spec("routing: {receiver: team}\n" + WINDOWS))
    db, net, old = wanted
    assert owner(db["comment"]) == ("timely", "db") and owner("a [sfmon other/db]") == ("other", "db") and owner("mine") is None
    assert [(s.action, s.name) for s in plan("timely", wanted, [], NOW)] == [(CREATE, "db"), (CREATE, "net"), (SKIP, "old")]
    live = [
        _live(db, "1", startsAt="2026-06-01T10:30:00.000Z"),  # created after the window began: the same start
        _live(net, "2", "pending", endsAt="2026-06-02T15:00:00.000Z"),  # edited since: update it
        _live(db, "3"),  # a second silence of one window: expired
        _live(old, "4"),  # its window has ended
        _live({**db, "comment": "upgrade [sfmon other/db]"}, "5"),  # another project's
        _live({**db, "comment": "by hand"}, "6"),  # not sfmon's
        _live({**db, "comment": "upgrade [sfmon timely/gone]"}, "7"),  # a window no longer in the spec
        _live(db, "8", "expired"),
    ]
    steps = [(s.action, s.name, s.silence_id) for s in plan("timely", wanted, live, NOW)]
    assert steps == [
        (KEEP, "db", "1"), (EXPIRE, "db", "3"), (UPDATE, "net", "2"), (SKIP, "old", ""), (EXPIRE, "old", "4"), (EXPIRE, "gone", "7"),
    ]  # fmt: skip
    update = next(s for s in plan("timely", wanted, live, NOW) if s.action == UPDATE)
    assert update.body == {**net, "id": "2"}


def test_matchers_compare_as_sets_whatever_the_order_alertmanager_returns():
    wanted = silences(spec("routing: {receiver: team}\n" + WINDOWS.replace("""['job="db"']""", """['job="db"', 'severity!="info"']""")))
    reordered = _live(wanted[0], "1", matchers=list(reversed(wanted[0]["matchers"])))
    assert plan("timely", wanted[:1], [reordered], NOW)[0].action == KEEP


def test_unquoted_yaml_timestamps_are_read_with_their_offset():
    """YAML may type an unquoted RFC 3339 time as a timestamp; it means the same instant."""
    block = """routing: {receiver: team}
maintenance:
  - name: db
    matchers: ['job="db"']
    start: 2026-06-01T22:00:00+02:00
    end: 2026-06-02T00:00:00Z
    comment: c
    creator: me
"""
    (w,) = spec(block).maintenance
    assert (w.utc("start"), w.utc("end")) == ("2026-06-01T20:00:00.000Z", "2026-06-02T00:00:00.000Z")


def test_validate_counts_the_time_cases_as_sfmon_s_own():
    from sfmon.derive import derive
    from sfmon.tools.proofs import proof_summary

    tests = """  tests:
    - {labels: {severity: critical}, receivers: [pager], at: "2026-03-07T12:00:00Z", muted: [pager]}
"""
    assert "1 route test (amtool), 5 time-interval cases (sfmon)" in proof_summary(derive(spec(ROUTING + tests)))


def test_client_retries_5xx_a_bounded_number_of_times_and_never_a_refusal():
    """The HTTP client on a real socket: 503s are retried up to --retries, a 400 is not, and
    basic auth reaches the server."""
    import json as _json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import pytest

    from sfmon.tools.silences import ApiError, Client

    answers, seen = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            code, body = answers.pop(0)
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sleeps: list[float] = []
    client = Client(f"http://127.0.0.1:{server.server_address[1]}", timeout=2, retries=3, sleep=sleeps.append, basic_auth=("am", "pw"))
    try:
        answers[:] = [(503, b"busy"), (503, b"busy"), (200, _json.dumps([]).encode())]
        assert client.request("GET", "/api/v2/silences") == [] and sleeps == [0.5, 1.0]
        assert seen[-1] == "Basic YW06cHc="
        answers[:] = [(503, b"busy")] * 3
        with pytest.raises(ApiError, match="HTTP 503: busy .after 3 attempts"):
            client.request("GET", "/api/v2/silences")
        answers[:] = [(400, b"bad silence")]
        with pytest.raises(ApiError, match="HTTP 400: bad silence$"):
            client.request("GET", "/api/v2/silences")
        assert answers == []  # the 400 was asked once
    finally:
        server.shutdown()
        server.server_close()

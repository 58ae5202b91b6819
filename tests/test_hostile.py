"""The hostile-value sweep (tests/hostile.py) and the classes of broken promise it found.

CI runs a deterministic sample of the sweep (SFMON_HOSTILE_SAMPLE mutants, default 300);
`make hostile` runs every mutant (SFMON_HOSTILE_SAMPLE=all). Its size is printed and in
docs/hardening.md.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from conftest import FIXTURES, SPEC, run_sfmon, tree_hash

sys.path.insert(0, str(Path(__file__).parent))
import hostile  # noqa: E402

DEBIAN_BASES = [SPEC, *(FIXTURES / "specs" / "valid" / f"{n}.yaml" for n in ("full", "receivers", "discovery", "operator"))]
# What only newer Alertmanagers read (receivers, global settings, messages; UTF-8 matcher
# lines): swept with the newest build.
NEWER_BASES = [FIXTURES / "specs" / "newer" / n for n in ("receivers.yaml", "matchers.yaml", "utf8-names.yaml", "utf8-labels.yaml")]
BASES = DEBIAN_BASES + NEWER_BASES
# Walked, not swept: Debian's Prometheus build has no Consul or Kubernetes discovery, and
# sfmon does not parse Kubernetes label/field selectors itself (promtool 3.x judges them).
# Its models are listed here so the gap is visible, not silent.
UNSWEPT = [FIXTURES / "specs" / "valid" / "scraping.yaml"]
# An environment only names overlay files, which are specs like these (tests/test_environments.py).
NOT_SWEPT = {"Environment"}
SAMPLE = os.environ.get("SFMON_HOSTILE_SAMPLE", "300")
# `k/n`: only every n-th mutant from the k-th (make hostile SHARD=k/n runs the sweep in pieces).
SHARD = tuple(map(int, os.environ["SFMON_HOSTILE_SHARD"].split("/"))) if os.environ.get("SFMON_HOSTILE_SHARD") else None


def test_sweep(promtool, amtool, capsys):
    """Every sampled mutant is refused in place or rendered into files every consumer accepts
    and reads back as written; never an internal error."""
    _sweep(DEBIAN_BASES, None if SAMPLE == "all" else int(SAMPLE), capsys)


def test_sweep_of_the_newer_alertmanager_receivers(monkeypatch, capsys):
    """The same promise for what only a newer Alertmanager reads, judged by the newest build."""
    import toolsets
    from conftest import skip_or_fail

    built = [toolsets.all_toolsets()[n] for n in toolsets.active() if n != "debian"]
    newest = next((t for t in reversed(built) if t.path("amtool") and t.path("promtool")), None)
    if newest is None:
        skip_or_fail("no Alertmanager >= 0.27 build (make tools builds one when Go is installed)")
    monkeypatch.setenv("SFMON_AMTOOL", newest.path("amtool"))
    monkeypatch.setenv("SFMON_PROMTOOL", newest.path("promtool"))
    _sweep(NEWER_BASES, None if SAMPLE == "all" else max(1, int(SAMPLE) // 5), capsys)


def _sweep(bases: list[Path], sample: int | None, capsys) -> None:
    started = time.perf_counter()
    report = hostile.sweep(bases, sample=sample, workers=2, shard=SHARD)
    with capsys.disabled():
        print(f"\n{report.summary()}{f' (shard {SHARD[0]}/{SHARD[1]})' if SHARD else ''} in {time.perf_counter() - started:.0f}s (slowest mutant {report.slowest[0]:.1f}s)")
        for line in report.broken:
            print(f"broken: {line}")
    assert report.refused and report.rendered and report.tool_runs, report.summary()
    assert not report.broken, f"{len(report.broken)} broken promises:\n" + "\n".join(report.broken[:60])


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    """Every model class a spec can hold, through unions, lists and mappings."""
    from typing import get_args

    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                _models(ann, seen)
            stack.extend(get_args(ann))


def test_sweep_walks_every_model():
    """The leaves come from the models: every model class the spec can hold is walked over
    one of the bases, so each of its fields (present, or added by the sweep) gets the
    hostile values. A new model that no base uses fails here: use it in full.yaml."""
    from sfmon.model import Spec
    from sfmon.pipeline import load

    every: set[type[BaseModel]] = set()
    _models(Spec, every)
    walked: set[str] = set()
    for base in BASES + UNSWEPT:
        list(hostile.leaves(Spec, load(base).data, walked=walked))
    missing = sorted(m.__name__ for m in every if m.__name__ not in walked | NOT_SWEPT)
    assert not missing, f"models no base spec uses (their fields get no hostile values): {missing}"


def test_mutants_cover_fields_and_values():
    from sfmon.pipeline import load

    data = load(SPEC).data
    ms = hostile.mutants(str(SPEC), data)
    schemas = {m.leaf.schema for m in ms}
    for field in ("prometheus.scrape_timeout", "targets[].addresses[]", "alerts[]<error_ratio>.above", "grafana.admin_user"):
        assert field in schemas
    assert {m.value for m in ms if m.leaf.schema == "grafana.admin_user" and isinstance(m.value, str)} >= {"$", "{{", "\0", "a\x85b", hostile.LONG}


def test_the_dump_reads_back_exactly():
    """The sweep writes mutants with its own emitter; the loader must read each as built."""
    from sfmon.spec.loader import parse_yaml

    tricky = {"a": ["\0", "\x85", "\u2028", "\ufeff", "$", "{{", '"', "\\", "🔥", "", " x "], "b": {"k: v": float("nan"), "n": -0.0}}
    assert hostile.same(parse_yaml("t.yaml", hostile.dump(tricky)), tricky)


# --- the consumers that expand `$` -------------------------------------------------------------


def test_compose_and_grafana_interpolation_models():
    assert hostile.compose_value("a$$b") == "a$b"
    assert hostile.compose_value("${X:?set X}") == ""
    with pytest.raises(ValueError):
        hostile.compose_value("price: 5$")
    assert hostile.grafana_value("a$$b") == "a$b"
    assert hostile.grafana_value("$HOME/x") == "/x"
    assert hostile.grafana_value("$__file{/run/a}b}") == "<file:/run/a>b}"


def test_dollars_reach_compose_and_grafana_as_written(tmp_path):
    """`$` in values that land in docker-compose.yml and Grafana's provisioning is written
    `$$`; read as each service reads it, the value is the spec's."""
    from conftest import edited_spec
    from sfmon.pipeline import load, render

    spec = edited_spec(
        tmp_path,
        ("project: softfactory\n", "project: softfactory\nimages: {prometheus: \"reg$istry/prom:v2.42.0\"}\n"),
        ("  folder: SoftFactory\n  admin_user: admin\n", "  folder: \"Cost $ and ${HOME}\"\n  admin_user: \"adm$n\"\n"),
    )
    files = render(load(spec))
    compose = hostile.scalars({"docker-compose.yml": files["docker-compose.yml"]})["docker-compose.yml"]
    assert "reg$istry/prom:v2.42.0" in compose and "adm$n" in compose
    provider = hostile.scalars({k: v for k, v in files.items() if k.startswith("grafana/provisioning/")})
    assert "Cost $ and ${HOME}" in provider["grafana/provisioning/dashboards/sfmon.yml"]
    datasource = provider["grafana/provisioning/datasources/prometheus.yml"]
    assert any(s.startswith("<file:/run/secrets/") for s in datasource), "the $__file{} references stay references"


# --- refusals as a user sees them ------------------------------------------------------------


def test_refusals_through_the_cli(tmp_path):
    """A few refused mutants run as real `sfmon generate` processes: exit 1, the placed
    message, no traceback, the output directory untouched."""
    import random

    from sfmon.pipeline import load

    data = load(SPEC).data
    ms = [m for m in hostile.mutants(str(SPEC), data) if not m.leaf.key]
    picked = []
    for m in random.Random(14).sample(ms, 200):
        result = hostile.judge(m, data)
        if result.outcome == "refused":
            picked.append((m, result.detail))
        if len(picked) == 4:
            break
    out = tmp_path / "generated"
    assert run_sfmon("generate", "--spec", str(SPEC), "--out", str(out)).returncode == 0
    before = tree_hash(out)
    for i, (m, detail) in enumerate(picked):
        spec = tmp_path / f"m{i}.yaml"
        spec.write_text(hostile.dump(hostile.apply(data, m)), encoding="utf-8")
        done = run_sfmon("generate", "--spec", str(spec), "--out", str(out))
        text = done.stdout + done.stderr
        assert done.returncode == 1, (m.name, text)
        assert "Traceback" not in text and "internal error" not in text, (m.name, text)
        line_col = detail.split(": ", 1)[0].rpartition(".yaml:")[2]
        assert f"{spec.name}:{line_col}: error:" in text, (m.name, detail, text)
        assert tree_hash(out) == before, m.name


# --- bounded proofs ------------------------------------------------------------------------------


@pytest.mark.parametrize("for_", ["1w", "4w"])
def test_long_for_validates_with_promtool(promtool, amtool, tmp_path, for_):
    """Alerts with `for: 1w` and `4w` get generated tests in tests/alerts-long.test.yml at a
    coarser evaluation interval (at most MAX_STEPS evaluations a group): the real promtool
    runs them, and everything else, within its time limit."""
    from sfmon.derive.rule_tests import MAX_STEPS
    from sfmon.pipeline import check, load, render
    from sfmon.tools.runner import TIMEOUT
    from sfmon.tools.validate import validate_files

    spec = tmp_path / "long.yaml"
    text = (FIXTURES / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("receivers:", (
        "catalogs:\n  app:\n    - {name: http_requests_total, type: counter, labels: [code]}\n    - {name: queue, type: gauge}\n"
        "alerts:\n"
        f"  - {{name: LongDown, kind: target_down, target: app, for: {for_}, severity: critical, summary: down}}\n"
        f"  - {{name: LongErrors, kind: error_ratio, target: app, errors: 'http_requests_total{{code=\"500\"}}', total: http_requests_total, above: 5%, for: {for_}, severity: critical, summary: errors}}\n"
        f"  - {{name: LongQueue, kind: threshold, target: app, metric: queue, above: 10, for: {for_}, severity: warning, summary: queue}}\n"
        "  - {name: ShortDown, kind: target_down, target: app, for: 1m, severity: critical, summary: down}\n"
        "receivers:"
    )).replace('addresses: ["localhost:8000"]}', 'addresses: ["localhost:8000"], catalog: app}')
    spec.write_text(text, encoding="utf-8")
    loaded = load(spec)
    assert not [p for p in check(loaded) if p.severity >= 1], check(loaded)
    files = render(loaded)
    long = files["tests/alerts-long.test.yml"]
    assert "LongDown" in long and "ShortDown" not in long and "ShortDown" in files["tests/alerts.test.yml"]
    tests = loaded.derived.rule_tests
    for g in tests.long:
        assert max(c.at_ms for c in g.checks) // tests.long_interval_ms <= MAX_STEPS + 10, g.name
    started = time.perf_counter()
    problems = validate_files(files, "gen")
    assert not problems, problems
    assert time.perf_counter() - started < TIMEOUT


# --- tool messages -------------------------------------------------------------------------------


def test_amtool_refusal_keeps_its_reason(amtool, tmp_path):
    from sfmon.tools.runner import Run, run

    (tmp_path / "alertmanager.yml").write_text(
        "global: {smtp_smarthost: 'smtp.example.com'}\nroute: {receiver: x}\nreceivers:\n  - name: x\n    email_configs: [{to: a@b.c, from: a@b.c}]\n",
        encoding="utf-8",
    )
    problems = run(Run("amtool/config", ("amtool", "check-config", "alertmanager.yml"), "gen/alertmanager.yml", str(tmp_path)))
    assert [p.message for p in problems] == ["address smtp.example.com: missing port in address"]


def test_promtool_success_lines_are_not_problems(promtool, tmp_path):
    from sfmon.tools.runner import Run, run

    (tmp_path / "alerts.yml").write_text(
        'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations: {x: "{{"}\n', encoding="utf-8"
    )
    (tmp_path / "prometheus.yml").write_text("rule_files: [alerts.yml]\n", encoding="utf-8")
    problems = run(Run("promtool/config", ("promtool", "check", "config", "prometheus.yml"), "gen/prometheus.yml", str(tmp_path)))
    messages = [p.message for p in problems]
    assert messages and not [m for m in messages if "SUCCESS" in m or not m.strip()], messages
    assert any("unclosed action" in m for m in messages), messages


def test_rule_refusals_are_placed_in_the_rule_file_and_the_spec():
    from sfmon.problems import Problem, Severity
    from sfmon.tools.validate import placed

    files = {"alerts.yml": 'groups:\n  - name: "g"\n    rules:\n      - alert: "Other"\n        expr: x\n      - alert: "HighErrorRate"\n        expr: x\n'}
    tool = Problem("gen/alerts.yml", 0, 0, "promtool/rules", Severity.ERROR, 'alerts.yml: group "g", rule 2, "HighErrorRate": annotation "x": template: unclosed action')
    here = {"HighErrorRate": Problem("specs.yaml", 40, 11, "", Severity.ERROR, "alerts[3]")}
    rendered, spec = placed([tool], files, here)
    assert (rendered.file, rendered.line, rendered.message) == ("gen/alerts.yml", 6, tool.message)
    assert (spec.file, spec.line, spec.column, spec.check) == ("specs.yaml", 40, 11, "promtool/rules")
    assert spec.message.startswith("alerts[3]: promtool refuses its rule: ") and "unclosed action" in spec.message


# --- alerts that can never fire ---------------------------------------------------------------


def test_never_firing_traps_are_warned_with_their_check_ids(tmp_path):
    """A rate window under two scrape intervals, an inhibit `equal` label no alert carries,
    alert names differing only in case: a warning each, with the id that acknowledges it."""
    from sfmon.pipeline import check, load
    from sfmon.problems import Severity

    text = (FIXTURES / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace('addresses: ["localhost:8000"]}', 'addresses: ["localhost:8000"], catalog: app}').replace("receivers:", (
        "catalogs:\n  app:\n    - {name: http_requests_total, type: counter, labels: [code]}\n"
        "alerts:\n"
        "  - {name: Errors, kind: error_ratio, target: app, errors: 'http_requests_total{code=\"500\"}', total: http_requests_total, window: 20s, above: 5%, severity: critical, summary: e}\n"
        "  - {name: AppDown, kind: target_down, target: app, severity: critical, summary: down}\n"
        "  - {name: APPDOWN, kind: target_down, target: app, severity: warning, summary: down}\n"
        "receivers:"
    )).replace("routing:\n  receiver: team\n", (
        "routing:\n  receiver: team\n  inhibit:\n    - {source: {severity: critical}, target: {severity: warning}, equal: [clutser]}\n"
    ))
    spec = tmp_path / "traps.yaml"
    spec.write_text(text, encoding="utf-8")
    problems = check(load(spec))
    warned = {p.check: p.message for p in problems if p.severity == Severity.WARNING}
    assert "alerts[0].window: rate() over 20s" in warned["rules/windows"]
    assert "routing.inhibit[0].equal[0]: no alert carries a label 'clutser'" in warned["routing/inhibit"]
    assert "alerts[2].name: alert 'APPDOWN' differs from 'AppDown'" in warned["names/case"]
    assert not [p for p in problems if p.severity >= Severity.ERROR], problems


FULL = FIXTURES / "specs" / "valid" / "full.yaml"


def _mutated_full(path: tuple, value, base: Path = FULL) -> str:
    from sfmon.pipeline import load

    data = load(base).data
    node = data
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return hostile.dump(data)


@pytest.mark.parametrize("index", [6, 8, 9, 11, 26, 31])  # error_ratio, latency_quantile, ratio, slow_events, ratio x2
def test_a_window_that_holds_no_two_samples_generates_no_firing_case(index):
    """A rate/increase over 1ms is always empty: no firing case, a note, no internal error
    (found by the sweep: slow_events first, then error_ratio, latency_quantile and ratio)."""
    from sfmon.pipeline import check, load, load_text, render

    name = load(FULL).data["alerts"][index]["name"]
    loaded = load_text(str(FULL), _mutated_full(("alerts", index, "window"), "1ms"))
    notes = [str(p) for p in check(loaded) if f"{name}: firing cases not generated: a 1ms window never holds two samples" in str(p)]
    tests = render(loaded)["tests/alerts.test.yml"]
    assert notes and f"{name}: fires" not in tests


def test_blackbox_timeouts_are_written_in_go_units(tmp_path):
    """The exporter reads time.Duration (no d/w/y): 4w is written 672h, and the exporter's
    own check accepts the file (found by the sweep: blackbox refused `4w`)."""
    import shutil
    import subprocess

    from conftest import skip_or_fail
    from sfmon.pipeline import load_text, render

    files = render(load_text(str(FULL), _mutated_full(("blackbox", "modules", "http_2xx", "timeout"), "4w")))
    assert '    timeout: "672h"\n' in files["blackbox.yml"]
    exe = shutil.which("prometheus-blackbox-exporter")
    if exe is None:
        skip_or_fail("prometheus-blackbox-exporter is not installed")
    (tmp_path / "blackbox.yml").write_text(files["blackbox.yml"], encoding="utf-8")
    done = subprocess.run([exe, "--config.check", "--config.file", str(tmp_path / "blackbox.yml")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_exporter_log_lines_are_not_the_reason():
    """A refusal logged after the exporter's start lines is reported by its error line."""
    from sfmon.tools.runner import Run, parse_failure

    out = (
        'ts=2026-12-02T14:09:38.142Z caller=main.go:78 level=info msg="Starting blackbox_exporter"\n'
        'ts=2026-12-02T14:09:38.142Z caller=main.go:82 level=error msg="Error loading config" err="cannot unmarshal"\n'
    )
    run = Run("blackbox/config", ("prometheus-blackbox-exporter", "--config.check"), "blackbox.yml")
    (p,) = parse_failure(run, out)
    assert "level=error" in p.message and "cannot unmarshal" in p.message


def test_matcher_values_read_back_as_alertmanager_reads_them():
    """An inhibit value with quotes is escaped in the matcher line; the read-back decodes it."""
    assert hostile._matcher_values('severity="a\\"b\'c"') == ["severity", "a\"b'c"]
    assert hostile._matcher_values('"a\\"b\'c"="warning"') == ["a\"b'c", "warning"]  # a UTF-8 name (0.27+)


# full's alerts[12] (a sum of rates) with a 1y window: 1,169 evaluations of 901-sample windows
# ran promtool past its 60 s (found by the sweep).
@pytest.mark.parametrize("base, path", [(FULL, ("prometheus", "evaluation_interval")), (SPEC, ("alerts", 6, "window")), (FULL, ("alerts", 12, "window"))])
def test_year_long_intervals_leave_out_what_promtool_cannot_finish(base, path):
    """Every generated group stays within promtool's bound (found by the sweep: tests of a
    year at a 30s file interval ran past its 60 s); what is left out is said, per case."""
    from sfmon.derive.rule_tests import oversize
    from sfmon.pipeline import load_text

    derived = load_text(str(base), _mutated_full(path, "1y", base)).derived
    tests = derived.rule_tests
    assert all(oversize(g, tests.evaluation_interval_ms) is None for g in tests.groups)
    assert all(oversize(g, tests.long_interval_ms) is None for g in tests.long)
    assert any("left out" in n.message and "promtool could not" in n.message for n in tests.notes)


def test_a_share_below_its_ceiling_gets_no_quiet_case():
    """A hit ratio (a share of a whole, at most 1) `below: 5` always fires: there is no quiet
    value, so none is generated (found by the sweep: a "stays quiet at 1" case that fired)."""
    from sfmon.pipeline import load_text, render

    loaded = load_text(str(FULL), _mutated_full(("alerts", 9, "below"), 5))
    tests = render(loaded)["tests/alerts.test.yml"]
    assert "LowHitRatio: fires" in tests and "LowHitRatio: stays quiet" not in tests
    assert any("LowHitRatio: not proven: no test case shows where it stays quiet" in n.message for n in loaded.derived.rule_tests.unproven)


@pytest.mark.parametrize("year", ["-1", "1", "0:1"])
def test_intervals_of_year_one_or_before_are_searched_without_overflow(year):
    """Alertmanager takes any year (amtool 0.25 and 0.35 accept `years: ["-1"]`); the instant
    search starts at year 2, as year 1 east of UTC is before datetime's first day (found by the
    sweep: internal OverflowError)."""
    from sfmon.pipeline import check, load_text
    from sfmon.problems import Severity

    problems = check(load_text(str(FULL), _mutated_full(("routing", "time_intervals", 2, "time_intervals", 0, "years", 0), year)))
    # The spec's own route test of new year's eve 2026 now fails, as it should: a placed refusal.
    assert {p.check for p in problems if p.severity >= Severity.ERROR} == {"routing/tests"}


@pytest.mark.parametrize("path", [("alerts", 13, "below"), ("alerts", 33, "tiers", 0, "below")])
def test_series_past_float64_are_left_out(path):
    """A rate threshold of 1e308 makes counters that climb past float64's largest value,
    which promtool cannot parse (found by the sweep: `value out of range`)."""
    from sfmon.derive.rule_tests import oversize
    from sfmon.pipeline import load_text

    tests = load_text(str(FULL), _mutated_full(path, 1e308)).derived.rule_tests
    assert all(oversize(g, tests.evaluation_interval_ms) is None for g in tests.groups)
    assert any("past float64's largest value" in n.message for n in tests.notes)


@pytest.mark.parametrize("base", ["operator", "full"])
def test_intervals_past_fifty_years_leave_out_every_case(promtool, amtool, base):
    """promtool reads eval times as Go durations, which end at 292 years (found by the
    sweep: `evaluation_interval: 292y` made promtool fail with "duration out of range" on
    operator.yaml, and on full.yaml a counter pattern and a ratio's series took a worker to
    10 GB before any bound was applied: both are bounded before they are built)."""
    from sfmon.derive.rule_tests import oversize
    from sfmon.pipeline import load_text, render
    from sfmon.tools.validate import validate_files

    spec = FIXTURES / "specs" / "valid" / f"{base}.yaml"
    loaded = load_text(str(spec), _mutated_full(("prometheus", "evaluation_interval"), "292y", spec))
    tests = loaded.derived.rule_tests
    assert all(oversize(g, tests.evaluation_interval_ms) is None for g in (*tests.groups, *tests.long))
    assert any("Go durations" in n.message for n in tests.notes)
    errors = [p for p in validate_files(render(loaded), "generated") if p.severity is Severity.ERROR]
    assert not errors, errors


def test_a_forecast_lost_in_float_rounding_generates_no_firing_case():
    """At 2^64 a step of 12 per sample is below float64's resolution: the series promtool
    loads does not move, so no firing case is claimed (found by the sweep: the generated
    test expected an alert that could not fire)."""
    from sfmon.pipeline import load_text, render

    loaded = load_text(str(FULL), _mutated_full(("alerts", 20, "below"), 2**64))
    tests = render(loaded)["tests/alerts.test.yml"]
    assert "DiskFillsIn4h: stays quiet" in tests and "DiskFillsIn4h: fires" not in tests
    assert any("lost in rounding" in n.message for n in loaded.derived.rule_tests.notes)


@pytest.mark.parametrize("expr, found", [
    ("5m", "5m"), ("vector(1h30m)", "1h30m"), ("up > 5m", "5m"), ("up offset 5m", None), ("up offset -5m", None),
    ("rate(up[5m])", None), ("max_over_time(up[1h:5m])", None), ('up{a="5m"}', None), ("up # 5m", None), ("x5m", None), ("foo:5m", None),
])  # fmt: skip
def test_durations_used_as_numbers_need_prometheus_3(expr, found):
    """promtool 2.42 refuses `vector(5m)` ("unexpected duration"), 3.5.1 and 3.16.0 read it as
    300 (found by the sweep: a recording rule's expr of 5m)."""
    from sfmon.model.base import duration_as_number

    assert duration_as_number(expr) == found


def test_a_replica_label_named_null_is_dropped_by_a_regex_yaml_v2_reads():
    """`replica_label: "null"` is a valid label name (promtool 2.42 and amtool take it), but its
    labeldrop regex written `null` made 2.42 refuse the file (found by the sweep): `(?:null)`."""
    from sfmon.pipeline import load_text, render

    base = FIXTURES / "specs" / "valid" / "operator.yaml"
    files = render(load_text(str(base), _mutated_full(("prometheus", "replica_label"), "null", base)))
    assert 'regex: "(?:null)"' in files["prometheus-replica-0.yml"] and '"null": "prometheus-0"' in files["prometheus-replica-0.yml"]

"""Every spec problem is placed: file:line:col, the field, a clear message."""

from pathlib import Path

import pytest

from sfmon.pipeline import load_and_check
from sfmon.problems import Severity

from conftest import SPEC


def problems_for(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = load_and_check(path)
    return [str(p).replace(str(path), "spec.yaml") for p in problems]


def edited(old: str, new: str, count: int = 1) -> str:
    text = SPEC.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, count)


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_default_spec_is_clean():
    loaded, problems = load_and_check(SPEC)
    assert loaded is not None
    assert [p for p in problems if p.severity >= Severity.ERROR] == []
    assert len(loaded.spec.targets) == 8
    assert len(loaded.spec.alerts) == 13
    assert len(loaded.spec.recording_rules) == 3
    assert len(loaded.spec.dashboards) == 5


def test_unknown_key_names_position_and_nearest_key(tmp_path):
    text = edited("  scrape_timeout: 10s\n", "  scrape_timout: 10s\n")
    line = line_of(text, "scrape_timout")
    assert problems_for(tmp_path, text) == [
        f"spec.yaml:{line}:3: error: prometheus.scrape_timout: unknown key 'scrape_timout' (did you mean 'scrape_timeout'?) [spec/load]"
    ]


def test_out_of_range_percentage_points_at_value(tmp_path):
    text = edited("    above: 5%\n", "    above: 105%\n")
    line = line_of(text, "above: 105%")
    assert problems_for(tmp_path, text) == [
        f"spec.yaml:{line}:12: error: alerts[1].above: must be between 0% and 100%, got '105%' [spec/load]"
    ]


def test_wrong_type_names_what_it_got(tmp_path):
    text = edited("  evaluation_interval: 15s\n", "  evaluation_interval: [15s]\n")
    (msg,) = problems_for(tmp_path, text)
    assert f":{line_of(text, 'evaluation_interval')}:" in msg
    assert "prometheus.evaluation_interval: expected a duration string like '5m', got list" in msg


def test_missing_required_field_points_at_parent(tmp_path):
    text = edited("    summary: \"PostgreSQL is down\"\n", "")
    (msg,) = problems_for(tmp_path, text)
    assert "alerts[2].summary: required field is missing" in msg
    assert f":{line_of(text, 'name: DatabaseDown')}:" in msg


def test_unknown_alert_kind_gets_hint(tmp_path):
    text = edited("kind: target_down", "kind: target_dwn")
    (msg,) = problems_for(tmp_path, text)
    assert "alerts[0].kind: unknown alert kind 'target_dwn'" in msg and "did you mean 'target_down'" in msg


def test_inline_secret_refused_with_safe_alternative(tmp_path):
    text = edited("auth_password_file: /run/secrets/smtp_password", "auth_password: hunter2")
    (msg,) = problems_for(tmp_path, text)
    assert "receivers[0].email.auth_password: unknown key 'auth_password': inline secrets are not allowed; use 'auth_password_file'" in msg
    assert "hunter2" not in msg


def test_yaml_syntax_error_has_position(tmp_path):
    (msg,) = problems_for(tmp_path, "version: 1\nproject: [a\n")
    assert msg.startswith("spec.yaml:3:1: error: YAML syntax error:")


def test_duplicate_yaml_key_is_refused(tmp_path):
    (msg,) = problems_for(tmp_path, "version: 1\nversion: 1\n")
    assert msg.startswith("spec.yaml:2:1: error: YAML syntax error:") and "duplicate key" in msg


def test_merge_key_override_idiom_reads_as_yaml_says(tmp_path):
    """A written key over a merged one wins (YAML's merge spec); two merged mappings resolve
    first-wins. Neither is refused: only a key written twice beside a merge key is."""
    api = '  - {name: api, addresses: ["api:8000"], catalog: softfactory-api, health_path: /health, labels: {service: api, team: backend}, description: Flask API}\n'
    merged = (
        '  - &api {name: api, addresses: ["api:8000"], catalog: softfactory-api, health_path: /health, labels: {service: api, team: backend}, description: Flask API}\n'
        '  - &extra {name: api-canary, description: canary, addresses: ["canary:8000"]}\n'
        "  - <<: [*extra, *api]\n"
        "    name: api-two\n"
    )
    path = tmp_path / "spec.yaml"
    path.write_text(edited(api, merged), encoding="utf-8")
    loaded, problems = load_and_check(path)
    assert loaded is not None, [str(p) for p in problems]
    two = next(t for t in loaded.spec.targets if t.name == "api-two")
    assert (two.description, two.addresses, two.labels["team"]) == ("canary", ["canary:8000"], "backend")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", "spec.yaml:1:1: error: spec is empty; expected a mapping with 'version: 1' [spec/load]"),
        ("- a\n- b\n", "spec.yaml:1:1: error: top level is a list; expected a mapping with 'version: 1' [spec/load]"),
        ("just text\n", "spec.yaml:1:1: error: top level is a str scalar; expected a mapping with 'version: 1' [spec/load]"),
    ],
)
def test_wrong_top_level(tmp_path, text, expected):
    assert problems_for(tmp_path, text) == [expected]


def test_unreadable_file(tmp_path):
    _, problems = load_and_check(tmp_path / "nope.yaml")
    assert [p.message for p in problems] == ["cannot read spec: No such file or directory"]


def test_unknown_references_and_duplicates_are_checked(tmp_path):
    text = edited("target: redis\n", "target: rediss\n")
    text = text.replace("notify: [ops-slack], continue: true}", "notify: [ops-slak], continue: true}")
    text = text.replace("  - name: RedisDown\n", "  - name: DatabaseDown\n")
    msgs = problems_for(tmp_path, text)
    assert any("alerts[3].target: unknown target 'rediss' (did you mean 'redis'?) [names/references]" in m for m in msgs)
    assert any("routing.routes[1].notify[0]: unknown receiver 'ops-slak' (did you mean 'ops-slack'?)" in m for m in msgs)
    dup = next(m for m in msgs if "duplicate alert" in m)
    assert f"(first defined on line {line_of(text, 'name: DatabaseDown')})" in dup


def test_route_without_receiver_and_receiver_without_integration(tmp_path):
    text = edited("notify: [ops-slack], continue: true}", "notify: [], continue: true}")
    text = text.replace("  - name: pagerduty\n    pagerduty:\n      routing_key_file: /run/secrets/pagerduty_routing_key\n", "  - name: pagerduty\n")
    msgs = problems_for(tmp_path, text)
    assert any("routing.routes[1].notify: route reaches no receiver" in m for m in msgs)
    assert any("receivers[2]: receiver 'pagerduty' has no integration" in m for m in msgs)


def test_threshold_direction_must_be_single(tmp_path):
    text = edited("    below: 70%\n", "    below: 70%\n    above: 90%\n")
    (msg,) = problems_for(tmp_path, text)
    assert "alerts[7]: set exactly one of 'above' or 'below'" in msg


def test_selector_and_label_names_are_validated(tmp_path):
    text = edited("labels: {service: api, team: backend}", "labels: {9bad: api, __reserved: x}")
    msgs = problems_for(tmp_path, text)
    assert any("label name '9bad' is no legacy label name" in m for m in msgs)
    assert any("label name '__reserved' is reserved" in m for m in msgs)

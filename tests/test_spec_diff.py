"""`sfmon diff`: the meaning of a spec change, matched by name, in the user's own spelling."""

from __future__ import annotations

import json

import pytest

from conftest import SPEC, run_sfmon, spec_repo
from sfmon.spec.loader import load_spec, parse_spec
from sfmon.spec.diff import MARKER, Change, diff_specs, to_markdown

DEFAULT = load_spec(SPEC)


def edit(*edits: tuple[str, str]) -> str:
    text = SPEC.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"not unique in the default spec: {old!r}"
        text = text.replace(old, new)
    return text


def texts(*edits: tuple[str, str]) -> list[str]:
    return [c.text() for c in diff_specs(DEFAULT, parse_spec("new.yaml", edit(*edits)))]


THREE_EDITS = (
    ("    above: 5%\n", "    above: 3%\n"),
    ('channel: "#ops-alerts"', 'channel: "#alerts"'),
    (
        "          - {title: Slow requests per second",
        "          - {title: p99 latency, expr: 'histogram_quantile(0.99, sum by (le) "
        "(rate(http_request_duration_seconds_bucket[5m])))', unit: s}\n          - {title: Slow requests per second",
    ),
)


def test_three_edits_give_exactly_three_changes_in_markdown(tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(edit(*THREE_EDITS), encoding="utf-8")
    result = run_sfmon("diff", str(SPEC), str(new))
    assert result.returncode == 0, result.stderr
    bullets = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert bullets == [
        "- alert **HighErrorRate**: threshold above `5%` -> `3%`",
        "- receiver **ops-slack**: slack.channel `#ops-alerts` -> `#alerts`",
        "- dashboard **softfactory-api**: panel 'p99 latency' added",
    ]
    assert result.stdout.startswith(MARKER + "\n### sfmon: 3 changes in the monitoring spec\n")


def test_json_format(tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(edit(*THREE_EDITS), encoding="utf-8")
    result = run_sfmon("diff", str(SPEC), str(new), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["old"] == SPEC.as_posix() and doc["new"] == new.as_posix()
    assert doc["changes"][0] == {
        "subject": "alert HighErrorRate",
        "path": "threshold above",
        "action": "changed",
        "old": "5%",
        "new": "3%",
        "text": "alert HighErrorRate: threshold above 5% -> 3%",
    }
    assert [c["action"] for c in doc["changes"]] == ["changed", "changed", "added"]


def test_formatting_comments_and_order_are_no_change():
    text = SPEC.read_text(encoding="utf-8")
    # Reorder two targets, restyle one alert field, drop comments.
    a = '  - {name: redis, addresses: ["redis-exporter:9121"], catalog: redis-exporter, labels: {service: cache, team: backend}}\n'
    b = '  - {name: postgres, addresses: ["postgres-exporter:9187"], catalog: postgres-exporter, labels: {service: database, team: backend}}\n'
    assert a in text and b in text
    text = text.replace(b, "@@").replace(a, b).replace("@@", a)
    text = text.replace("    above: 5%\n", "    above: '5%'  # five percent\n")
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert diff_specs(DEFAULT, parse_spec("same.yaml", text)) == []
    assert "No semantic changes" in to_markdown([], "a", "b")


def test_threshold_direction_and_kind_level_fields():
    assert texts(("below: 70%", "above: 70%"), ("for: 10m", "for: 20m")) == [
        "alert CacheHitRatioDegraded: for 10m -> 20m",
        "alert CacheHitRatioDegraded: threshold below 70% -> above 70%",
    ]
    assert texts(("above: 500ms", "above: 750ms")) == ["alert HighResponseTime: threshold above 500ms -> 750ms"]


def test_labels_secrets_and_nested_models():
    assert texts(
        ("labels: {service: api, team: backend}", "labels: {service: api, team: platform, tier: web}"),
        (
            "      bearer_token_file: /run/secrets/webhook_token",
            "      basic_auth: {username: am, password_file: /run/secrets/pw}",
        ),
    ) == [
        "target api: labels.team backend -> platform",
        "target api: labels.tier set to web",
        "receiver ops-webhook: webhook.bearer_token_file removed (was /run/secrets/webhook_token)",
        "receiver ops-webhook: webhook.basic_auth set to {username: am, password_file: /run/secrets/pw}",
    ]


def test_items_added_removed_and_moved():
    new_alert = (
        "  - name: DiskFull\n    kind: threshold\n    target: node\n    metric: node_filesystem_avail_bytes\n"
        "    below: 1000000\n    severity: warning\n    summary: disk\n"
    )
    assert texts(
        ("  # --- warning: look", new_alert + "  # --- warning: look"),
        ("  - name: RedisDown\n", "  - name: RedisGone\n"),
        ("    - {name: cache_misses, type: counter, help: Cache lookups that missed}\n", ""),
        ("      - title: Process\n", "      - title: Process\n        collapsed: true\n"),
        (
            "          - {title: Slow requests per second,",
            "      - title: Slow\n        panels:\n          - {title: Slow requests per second,",
        ),
    ) == [
        "catalog softfactory-api: family cache_misses removed",
        "alert RedisDown removed",
        "alert RedisGone added",
        "alert DiskFull added",
        "dashboard softfactory-api: row 'Process': collapsed false -> true",
        "dashboard softfactory-api: row 'Slow' added",
        "dashboard softfactory-api: panel 'Slow requests per second': row Latency -> Slow",
    ]


def test_routes_are_matched_by_matchers_and_their_order_matters():
    critical = "    - {match: {severity: critical}, notify: [pagerduty, ops-slack], continue: true, repeat_interval: 1h}\n"
    warning = "    - {match: {severity: warning}, notify: [ops-slack], continue: true}\n"
    assert texts((critical + warning, warning + critical)) == [
        'routing: route order [route {severity="critical"}, route {severity="warning"}, route {}] '
        '-> [route {severity="warning"}, route {severity="critical"}, route {}]'
    ]
    assert texts((warning, warning.replace("[ops-slack]", "[ops-slack, ops-email]"))) == [
        'routing: route {severity="warning"}: notify [ops-slack] -> [ops-slack, ops-email]'
    ]


def test_markdown_escapes_user_text():
    change = Change("dashboard a_b", "panel '*bold* <b>'", "changed", "x`y", "`z")
    line = to_markdown([change], "old", "new").splitlines()[-1]
    assert line == r"- dashboard **a\_b**: panel '\*bold\* \<b\>' ``x`y`` -> `` `z ``"


def test_base_reads_the_spec_at_a_git_ref(tmp_path):
    spec = spec_repo(tmp_path)
    spec.write_text(edit(THREE_EDITS[0]), encoding="utf-8")
    result = run_sfmon("diff", "--base", "HEAD", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("- ")] == [
        "- alert **HighErrorRate**: threshold above `5%` -> `3%`"
    ]
    assert "Comparing `HEAD:specs/specs.yaml` with `specs/specs.yaml`." in result.stdout
    missing = run_sfmon("diff", "--base", "no-such-ref", cwd=tmp_path)
    assert missing.returncode == 1 and "cannot read specs/specs.yaml at no-such-ref" in missing.stderr


def test_usage_and_invalid_specs(tmp_path):
    assert run_sfmon("diff", str(SPEC)).returncode == 2
    assert run_sfmon("diff", str(SPEC), str(SPEC), "--base", "HEAD").returncode == 2
    assert run_sfmon("diff", "--base", "--output=x").returncode == 2  # never passed to git as an option
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit(("    above: 5%\n", "    above: 105%\n")), encoding="utf-8")
    result = run_sfmon("diff", str(SPEC), str(bad))
    assert result.returncode == 1 and result.stdout == ""
    assert "must be between 0% and 100%" in result.stderr


def test_tier_threshold_changes_are_named_by_tier():
    assert texts(
        ("- {severity: critical, above: 95%, for: 2m", "- {severity: critical, above: 90%, for: 2m"),
        ("- {severity: warning, below: 15%}", "- {severity: warning, below: 20%}"),
    ) == [
        "alert ConnectionPoolNearMax: tier critical: threshold above 95% -> 90%",
        "alert HostMemoryLow: tier warning: threshold below 15% -> 20%",
    ]
    added = texts(("      - {severity: warning, above: 80%}\n", "      - {severity: info, above: 70%}\n      - {severity: warning, above: 80%}\n"))
    assert added == ["alert ConnectionPoolNearMax: tier info added"]


def test_nested_route_changes_are_named_by_their_path_in_the_tree():
    warning = "    - {match: {severity: warning}, notify: [ops-slack], continue: true}\n"
    nested = (
        "    - match: {severity: warning}\n      notify: [ops-slack]\n      continue: true\n"
        "      routes:\n        - {matchers: ['team=\"db\"'], notify: [ops-email]}\n"
    )
    assert texts((warning, nested)) == ['routing: route {severity="warning"}: route {team="db"} added']
    base = parse_spec("old.yaml", edit((warning, nested)))
    respaced = parse_spec("new.yaml", edit((warning, nested.replace("'team=\"db\"'", "'{ team = \"db\" }'"))))
    assert diff_specs(base, respaced) == []  # the same matcher, written differently
    deeper = parse_spec("new.yaml", edit((warning, nested.replace("'team=\"db\"']", "'team=\"db\"', 'env!~\"dev|test\"']"))))
    assert [c.text() for c in diff_specs(base, deeper)] == [
        'routing: route {severity="warning"}: route {team="db"} removed',
        'routing: route {severity="warning"}: route {team="db", env!~"dev|test"} added',
    ]


def test_an_alert_that_gets_tiers_names_its_old_threshold_and_is_not_removed():
    one = ("    above: 5%\n    for: 5m\n    severity: critical\n", "    tiers: [{severity: warning, above: 2%}, {severity: critical, above: 5%}]\n    for: 5m\n")
    changed = texts(one)
    assert [t for t in changed if "HighErrorRate" in t] == [
        "alert HighErrorRate: severity removed (was critical)",
        "alert HighErrorRate: tiers set to [{severity: warning, above: 2%}, {severity: critical, above: 5%}]",
        "alert HighErrorRate: threshold removed (was above 5%)",
    ]
    assert not [t for t in changed if "_Threshold" in t or t == "alert HighErrorRate removed"]
    back = [c.text() for c in diff_specs(parse_spec("new.yaml", edit(one)), DEFAULT)]
    assert "alert HighErrorRate: threshold set to above 5%" in back


def test_message_templates_and_global_settings_are_reported():
    assert texts(
        ("alertmanager:\n", "alertmanager:\n  messages: {title: '{{ .CommonLabels.alertname }} is {{ .Status }}', labels: [instance]}\n"),
        ('      channel: "#ops-alerts"\n', '      channel: "#ops-alerts"\n      text: "{{ .CommonAnnotations.summary }}"\n'),
    ) == [
        'receiver ops-slack: slack.text set to {{ .CommonAnnotations.summary }}',
        "alertmanager: messages.title "
        '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}'
        " -> {{ .CommonLabels.alertname }} is {{ .Status }}",
        "alertmanager: messages.labels [severity, job, instance] -> [instance]",
    ]

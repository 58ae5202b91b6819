"""Alert and receiver names: what promtool (check rules) and amtool (check-config) accept,
as a table checked against the real tools, and sfmon's validators agreeing with it except
where a name would break sfmon's own outputs (then refused, saying why)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from pydantic import TypeAdapter, ValidationError

from sfmon.model.base import AlertName, ReceiverName

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

# value, accepted by promtool and amtool, refused by sfmon (alert, receiver) with this reason
TABLE = [
    ("", False, "empty", "empty"),
    ("HighErrorRate", True, None, None),
    ("team-X-mails", True, None, None),
    ("Disk usage > 90% (root)", True, None, None),
    ("é 日本", True, None, None),
    ('a"b', True, None, None),
    ("a{{ .X }}b", True, None, None),
    ("1abc", True, None, None),
    ("__x", True, None, None),
    ("a.b", True, None, None),
    ("x" * 300, True, None, None),
    ("a,b", True, None, "comma"),
    ("a[b]", True, "[ or ]", "[ or ]"),
    ("a\nb", True, "control", "control"),
    ("a\tb", True, "control", "control"),
    (" lead", True, "trailing", "trailing"),
    (" ", True, "trailing", "trailing"),
]


def _promtool(promtool: str, tmp_path, name: str) -> bool:
    f = tmp_path / "r.yml"
    f.write_text("groups:\n- name: g\n  rules:\n  - alert: %s\n    expr: up == 0\n" % json.dumps(name))
    return subprocess.run([promtool, "check", "rules", str(f)], capture_output=True, timeout=60).returncode == 0


def _amtool(amtool: str, tmp_path, name: str) -> bool:
    f = tmp_path / "a.yml"
    f.write_text("route:\n  receiver: %s\nreceivers:\n- name: %s\n" % (json.dumps(name), json.dumps(name)))
    return subprocess.run([amtool, "check-config", str(f)], capture_output=True, timeout=60).returncode == 0


def _refusal(kind, value: str) -> str | None:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(("value", "tools", "alert_why", "receiver_why"), TABLE)
def test_names_agree_with_the_tools(tmp_path, promtool, amtool, value, tools, alert_why, receiver_why):
    assert _promtool(promtool, tmp_path, value) is tools
    assert _amtool(amtool, tmp_path, value) is tools
    for kind, why in ((AlertName, alert_why), (ReceiverName, receiver_why)):
        refusal = _refusal(kind, value)
        if why is None:
            assert refusal is None, refusal
        else:
            assert refusal is not None and why in refusal


def test_a_spec_with_tool_accepted_names_generates_and_validates(tmp_path, promtool, amtool):
    """The default spec with an alert and a receiver renamed the way public configs name them:
    generate, then validate with the real tools (rule tests and amtool route tests included),
    and an overlay selecting the alert by its new name."""
    from conftest import SPEC, run_sfmon

    alert, receiver = "Error rate > 5% (api.v1)", "team-X-Slack"
    text = SPEC.read_text(encoding="utf-8")
    text = re.sub(r"\bHighErrorRate\b", alert, text)
    text = re.sub(r"\bops-slack\b", receiver, text)
    spec = tmp_path / "specs.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "generated"
    done = run_sfmon("validate", "--spec", str(spec), "--out", str(out), "--set", f"alerts[{alert}].above=3%", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"passed \d+ rule test cases \(promtool\), \d+ route tests \(amtool\)", done.stdout + done.stderr)
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(out), "--set", f"alerts[{alert}].above=3%")
    assert done.returncode == 0, done.stderr
    rules = (out / "alerts.yml").read_text(encoding="utf-8")
    assert f"- alert: {json.dumps(alert)}" in rules and "> 0.03" in rules
    assert f"- name: {json.dumps(receiver)}" in (out / "alertmanager.yml").read_text(encoding="utf-8")

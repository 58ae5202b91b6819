"""Alert and receiver names: what promtool (check rules) and amtool (check-config) accept,
as a table checked against the real tools, and sfmon's validators agreeing with it except
where a name would break sfmon's own outputs (then refused, saying why)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from pydantic import TypeAdapter, ValidationError

from sfmon.model.base import AlertName, ReceiverName

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


def _promtool(tmp_path, name: str) -> bool:
    f = tmp_path / "r.yml"
    f.write_text("groups:\n- name: g\n  rules:\n  - alert: %s\n    expr: up == 0\n" % json.dumps(name))
    return subprocess.run(["promtool", "check", "rules", str(f)], capture_output=True, timeout=60).returncode == 0


def _amtool(tmp_path, name: str) -> bool:
    f = tmp_path / "a.yml"
    f.write_text("route:\n  receiver: %s\nreceivers:\n- name: %s\n" % (json.dumps(name), json.dumps(name)))
    return subprocess.run(["amtool", "check-config", str(f)], capture_output=True, timeout=60).returncode == 0


def _refusal(kind, value: str) -> str | None:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        return str(exc)
    return None


@pytest.mark.skipif(not (shutil.which("promtool") and shutil.which("amtool")), reason="needs promtool and amtool")
@pytest.mark.parametrize(("value", "tools", "alert_why", "receiver_why"), TABLE)
def test_names_agree_with_the_tools(tmp_path, value, tools, alert_why, receiver_why):
    assert _promtool(tmp_path, value) is tools
    assert _amtool(tmp_path, value) is tools
    for kind, why in ((AlertName, alert_why), (ReceiverName, receiver_why)):
        refusal = _refusal(kind, value)
        if why is None:
            assert refusal is None, refusal
        else:
            assert refusal is not None and why in refusal

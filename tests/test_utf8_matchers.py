"""Matcher lines only Alertmanager 0.27 and later read (the UTF-8 parser in fallback mode):
accepted when the spec targets 0.27+, refused at the line otherwise; rendered so that the
target reads what sfmon read, and routed by sfmon as the real amtool routes them
(tests/conformance/test_alertmanager.py holds upstream's parser cases)."""

from __future__ import annotations

import subprocess

import pytest
from ruamel.yaml import YAML

from sfmon.derive import routing_tree
from sfmon.pipeline import load, load_text, render
from sfmon.problems import SpecError
from sfmon.semantics import routing

from conftest import FIXTURES, generated_for, run_sfmon

SPEC = FIXTURES / "specs" / "newer" / "matchers.yaml"


def _with_version(version: str | None) -> str:
    text = SPEC.read_text(encoding="utf-8")
    line = '  version: "0.27"\n'
    assert line in text
    return text.replace(line, f'  version: "{version}"\n' if version else "  replicas: 1\n")


@pytest.mark.parametrize("version", ["0.27", "0.27.1", "0.35"])
def test_accepted_from_027(version):
    loaded = load_text(str(SPEC), _with_version(version))
    tree = routing_tree.from_spec(loaded.spec)
    names = {m.name for r in tree.root.routes for m in r.matchers}
    assert {"service.name", "team", "severity"} <= names


@pytest.mark.parametrize("version,why", [
    ("0.25", "alertmanager.version 0.25 reads matchers with the classic parser only (bad matcher format: "),
    ("0.26", "alertmanager.version 0.26 reads matchers with the classic parser only"),
    (None, "the spec does not say which release it targets, and 0.25's classic parser refuses it"),
])  # fmt: skip
def test_refused_before_027_at_the_line(version, why):
    with pytest.raises(SpecError) as err:
        load_text(str(SPEC), _with_version(version))
    (p,) = err.value.problems
    assert (p.line, p.column) == (22, 19)
    assert p.message.startswith("routing.routes[0].matchers[0]: only Alertmanager 0.27 and later read this matcher line: ")
    assert why in p.message
    # the names are classic ones: the message says how to write the line for every release
    assert p.message.endswith('set alertmanager.version to 0.27 or later, or write it as team="db", severity=~"crit.*"')


def test_rendered_as_read():
    """A classic name is written unquoted (every parser reads it), a UTF-8 one quoted (the
    classic parser refuses the line, so 0.27+ read it with the UTF-8 parser), and sfmon's
    evaluation of the rendered file is the tree it derived from the spec."""
    loaded = load(SPEC)
    text = render(loaded)["alertmanager.yml"]
    data = YAML(typ="safe").load(text)
    lines = [m for r in data["route"]["routes"] for m in r["matchers"]]
    assert lines == ['team="db"', 'severity=~"crit.*"', '"service.name"="legacy"', '"service.name"!="legacy"', 'severity="warning"']
    assert [r["target_matchers"] for r in data["inhibit_rules"]] == [['severity="warning"']]
    assert routing.from_config(data, fallback=True) == routing_tree.from_spec(loaded.spec)
    with pytest.raises(ValueError):
        routing.from_config(data)  # 0.25's reading refuses it, as Debian's amtool does


@pytest.mark.matrix
def test_each_amtool(amtool, tmp_path):
    """0.27+: `sfmon validate` passes (amtool check-config and the route tests); 0.25: amtool
    refuses the rendered file, as sfmon refuses the spec when it targets 0.25."""
    found, out = generated_for(amtool, SPEC, tmp_path)
    if found >= (0, 27):
        done = run_sfmon("validate", "--spec", str(SPEC), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "3 route tests (amtool)" in done.stdout
    else:
        done = subprocess.run([amtool, "check-config", str(out / "alertmanager.yml")], capture_output=True, text=True, timeout=30)
        assert done.returncode != 0
        assert 'bad matcher format: "service.name"="legacy"' in done.stdout + done.stderr

"""The output table (sfmon/render/outputs.py) is the one list of output files: render writes
exactly its entries, validate runs the tool each declares, compose mounts what it says."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES, SPEC
from sfmon.pipeline import load, render
from sfmon.render.outputs import ALERTMANAGER, LONG_RULE_TESTS, MESSAGE_TESTS, OUTPUTS, PROMETHEUS_REPLICAS, ROUTE_TESTS, RULE_TESTS, Output
from sfmon.tools.validate import tool_runs

SPECS = {
    "default": SPEC, "minimal": FIXTURES / "specs" / "valid" / "minimal.yaml", "full": FIXTURES / "specs" / "valid" / "full.yaml",
    "operator": FIXTURES / "specs" / "valid" / "operator.yaml", "discovery": FIXTURES / "specs" / "valid" / "discovery.yaml",
}  # fmt: skip


@pytest.fixture(params=sorted(SPECS), scope="module")
def case(request):
    loaded = load(SPECS[request.param])
    return request.param, loaded, render(loaded)


def entry_files(output: Output, files: dict[str, str]) -> list[str]:
    return [rel for rel in files if fnmatch.fnmatchcase(rel, output.path.replace("{}", "*"))]


def test_every_rendered_file_has_exactly_one_entry(case):
    _, _, files = case
    for rel in files:
        owners = [o.path for o in OUTPUTS if entry_files(o, {rel: ""})]
        assert len(owners) == 1, (rel, owners)


def test_each_entry_renders_when_its_predicate_holds(case):
    _, loaded, files = case
    for output in OUTPUTS:
        got = entry_files(output, files)
        if not output.when(loaded.spec) or (output.has is not None and not output.has(loaded.derived)):
            assert got == [], output.path
        elif output.pattern:
            assert sorted(got) == sorted(output.files(loaded.spec, loaded.derived)), output.path
        else:
            assert got == [output.path], output.path


def test_every_entry_renders_for_some_spec():
    rendered = [render(load(path)) for path in SPECS.values()]
    for output in OUTPUTS:
        assert any(entry_files(output, files) for files in rendered), f"{output.path}: no spec renders it"


def test_validate_runs_the_tool_of_every_entry_that_declares_one(case, tmp_path):
    name, loaded, files = case
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    runs = tool_runs(tmp_path, "generated")
    # Test files run once per chunk or case: only when they hold any.
    tests = loaded.derived.rule_tests
    long = sum(len(g.checks) for g in tests.long)
    cases = {RULE_TESTS.path: tests.cases() - long, LONG_RULE_TESTS.path: long, ROUTE_TESTS.path: len(loaded.derived.route_cases)}
    checked = 0
    for output in OUTPUTS:
        if output.tool is None:
            continue
        for rel in entry_files(output, files):
            # a notification's problems name the receiver's entry in alertmanager.yml
            reported = ALERTMANAGER.path if output is MESSAGE_TESTS else rel
            mine = [r for r in runs if r.check == output.tool.check and r.file == f"generated/{reported}"]
            if cases.get(rel, 1) == 0:
                assert mine == [], (name, rel)
                continue
            assert mine, (name, rel, sorted({(r.check, r.file) for r in runs}))
            fixed = tuple(a for a in output.tool.argv if a != "{}")
            assert all(r.args[: len(fixed)] == fixed for r in mine), mine
            if output is MESSAGE_TESTS:  # a run per case and receiver entry with templated fields
                assert all(r.args[-1].startswith("--template.data=") for r in mine), mine
                checked += 1
                continue
            if rel not in cases:  # one run of the declared argv on the file
                assert [r.args for r in mine] == [output.tool.args(rel)]
            checked += 1
    assert checked >= 3  # prometheus.yml, alerts.yml, alertmanager.yml at least
    assert {r.check for r in runs} <= {o.tool.check for o in OUTPUTS if o.tool is not None}


def compose_config_mounts(doc: dict) -> dict[str, list[str]]:
    return {
        name: [m for m in svc.get("volumes", []) if isinstance(m, str) and m.startswith("./")] for name, svc in doc["services"].items()
    }


def test_compose_mounts_are_the_tables(case):
    _, loaded, files = case
    expected: dict[str, list[str]] = {}
    for output in OUTPUTS:
        if not output.when(loaded.spec):
            continue
        for m in output.mounts:
            source = m.source or (str(Path(output.path).parent) if output.pattern else output.path)
            line = f"./{source}:{m.target}:ro"
            if line not in expected.setdefault(m.service, []):
                expected[m.service].append(line)
    spec = loaded.spec
    # Replicas and cluster peers (prometheus-<i>, alertmanager-<i>) each mount what the
    # table gives their service; a Prometheus replica mounts its own config file first.
    for service, names in (("prometheus", spec.prometheus.replica_names()), ("alertmanager", spec.alertmanager.peer_names())):
        if names:
            shared = expected.pop(service, [])
            for i, name in enumerate(names):
                own = [f"./{PROMETHEUS_REPLICAS.path.replace('{}', str(i))}:/etc/prometheus/prometheus.yml:ro"] if service == "prometheus" else []
                expected[name] = own + shared
    assert compose_config_mounts(YAML(typ="safe").load(files["docker-compose.yml"])) == expected


def test_rule_files_are_the_tables_rule_entries(case):
    _, loaded, files = case
    yaml = YAML(typ="safe")
    rules = [o.path for o in OUTPUTS if o.rule_file and o.when(loaded.spec)]
    configs = [rel for rel in files if rel == "prometheus.yml" or entry_files(PROMETHEUS_REPLICAS, {rel: ""})]
    assert configs
    for rel in configs:  # each replica's config too: they sit beside prometheus.yml
        assert yaml.load(files[rel])["rule_files"] == rules, rel  # prometheus.yml sits at the top
    assert yaml.load(files["tests/alerts.test.yml"])["rule_files"] == [f"../{r}" for r in rules]

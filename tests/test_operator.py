"""The Prometheus Operator output (outputs.operator): each manifest validates against the
Operator's CRD schema (vendored in sfmon/schemas/prometheus-operator), carries the namespace,
an RFC 1123 name and the selector labels; the rules taken back out of the PrometheusRule pass
promtool and the generated rule tests, the alertmanager.yaml taken back out of the Secret is
alertmanager.yml byte for byte and passes amtool, each dashboard ConfigMap carries its
dashboard whole. The ruler's namespace files (outputs.ruler) split the same groups."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st
from ruamel.yaml import YAML

from conftest import FIXTURES, SCHEMAS
from sfmon.model.outputs import DNS_LABEL_RE, DNS_SUBDOMAIN_RE
from sfmon.pipeline import load, render
from sfmon.semantics.quoting import yaml_block

yaml = YAML(typ="safe")
OPERATOR = FIXTURES / "specs" / "valid" / "operator.yaml"
# Specs whose targets carry no credential files, with the Operator output switched on by --set.
SWITCHED_ON = {
    "operator": (OPERATOR, ()),
    "minimal": (FIXTURES / "specs" / "valid" / "minimal.yaml", ("outputs.operator={namespace: team-a, name: tiny.app}",)),
    "receivers": (FIXTURES / "specs" / "valid" / "receivers.yaml", ("outputs.operator={namespace: alerting, alertmanager: main}",)),
}
CRDS = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule_v1.json",
    ("monitoring.coreos.com/v1alpha1", "ScrapeConfig"): "scrapeconfig_v1alpha1.json",
}


@pytest.fixture(params=sorted(SWITCHED_ON), scope="module")
def case(request):
    path, sets = SWITCHED_ON[request.param]
    loaded = load(path, sets=sets)
    return loaded.spec, render(loaded)


def manifests(files: dict[str, str]) -> dict[str, dict]:
    return {rel: yaml.load(text) for rel, text in files.items() if rel.startswith("operator/")}


def test_default_spec_has_no_operator_output():
    from conftest import GENERATED

    assert not (GENERATED / "operator").exists()


@pytest.fixture(scope="module")
def crd_validators():
    out = {}
    for key, name in CRDS.items():
        schema = json.loads((SCHEMAS / "prometheus-operator" / name).read_text())
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        # A well-formed schema; its regex formats are Go's (`^(?i)(abort|warn)?$`, which
        # Python's re refuses mid-pattern), so the metaschema is applied without formats.
        assert not list(cls(cls.META_SCHEMA).iter_errors(schema)), name
        out[key] = cls(schema)
    return out


def test_every_custom_resource_validates_against_its_crd_schema(case, crd_validators):
    spec, files = case
    seen = set()
    for rel, doc in manifests(files).items():
        key = (doc["apiVersion"], doc["kind"])
        if key[0] == "v1":  # Secret, ConfigMap: core kinds, checked below
            continue
        errors = sorted(crd_validators[key].iter_errors(doc), key=lambda e: list(e.path))
        best = jsonschema.exceptions.best_match(errors)
        assert not errors, f"{rel}: {best.message} at {list(best.path)}"
        seen.add(key[1])
    assert seen == {"PrometheusRule", "ScrapeConfig"}


def test_the_crd_schema_refuses_what_the_operator_refuses(crd_validators):
    """The referee is not a rubber stamp: a field the CRD lacks, or a bad duration, fails."""
    v = crd_validators[("monitoring.coreos.com/v1", "PrometheusRule")]
    ok = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {},
          "spec": {"groups": [{"name": "g", "interval": "30s", "rules": [{"record": "a:b", "expr": "1"}]}]}}  # fmt: skip
    assert not list(v.iter_errors(ok))
    bad = json.loads(json.dumps(ok))
    bad["spec"]["groups"][0]["interval"] = "30 seconds"
    assert list(v.iter_errors(bad))
    bad["spec"]["groups"][0]["rules"][0]["unknown"] = 1
    assert len(list(v.iter_errors(bad))) == 2


def test_metadata_names_namespace_and_selector_labels(case):
    spec, files = case
    op = spec.outputs.operator
    prefix = op.name or spec.project
    docs = manifests(files)
    assert docs, "the operator output wrote nothing"
    names = []
    for rel, doc in docs.items():
        meta = doc["metadata"]
        assert meta["namespace"] == op.namespace and DNS_LABEL_RE.match(meta["namespace"]), rel
        assert DNS_SUBDOMAIN_RE.match(meta["name"]) and len(meta["name"]) <= 253, rel
        assert op.labels.items() <= meta["labels"].items(), rel
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "sfmon"
        names.append((doc["kind"], meta["name"]))
    assert len(names) == len(set(names)), "two manifests of one kind share a name"
    kinds = {k for k, _ in names}
    assert ("PrometheusRule", f"{prefix}-rules") in names
    assert ("Secret", f"alertmanager-{op.alertmanager or prefix}") in names
    assert {n for k, n in names if k == "ScrapeConfig"} == {f"{prefix}-{t.name}" for t in spec.targets}
    assert {n for k, n in names if k == "ConfigMap"} == {f"{prefix}-dashboard-{d.uid}" for d in spec.dashboards}
    assert kinds <= {"PrometheusRule", "ScrapeConfig", "Secret", "ConfigMap"}


def test_prometheus_rule_carries_the_groups_of_alerts_yml(case):
    _, files = case
    rule = yaml.load(files["operator/prometheusrule.yaml"])
    assert rule["spec"]["groups"] == yaml.load(files["alerts.yml"])["groups"]


def _rule_tree(tmp_path: Path, files: dict[str, str], groups_doc: dict) -> Path:
    """alerts.yml rewritten from `groups_doc` (what a consumer took out of a manifest), beside
    the generated rule tests that read it."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "alerts.yml").write_text(json.dumps(groups_doc))  # JSON is YAML: no sfmon writer involved
    for rel in files:
        if rel.startswith("tests/alerts"):
            (tmp_path / rel).write_text(files[rel])
    return tmp_path


def test_rules_taken_out_of_the_prometheus_rule_pass_promtool_and_the_rule_tests(case, tmp_path, promtool):
    _, files = case
    rule = yaml.load(files["operator/prometheusrule.yaml"])
    tree = _rule_tree(tmp_path, files, {"groups": rule["spec"]["groups"]})
    check = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=tree, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted(str(p.relative_to(tree)) for p in (tree / "tests").glob("alerts*.test.yml"))
    if not rule["spec"]["groups"]:
        return  # a spec without rules (minimal): nothing to test beyond check rules
    assert tests
    run = subprocess.run([promtool, "test", "rules", *tests], cwd=tree, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_a_broken_rule_in_the_manifest_fails_promtool(tmp_path, promtool):
    """The extraction is honest: what promtool reads is what the manifest says."""
    files = render(load(OPERATOR))
    rule = yaml.load(files["operator/prometheusrule.yaml"])
    rule["spec"]["groups"][0]["rules"][0]["expr"] = "sum(("
    tree = _rule_tree(tmp_path, files, {"groups": rule["spec"]["groups"]})
    check = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=tree, capture_output=True, text=True, timeout=120)
    assert check.returncode != 0


def test_alertmanager_secret_carries_alertmanager_yml_whole_and_amtool_accepts_it(case, tmp_path, amtool):
    spec, files = case
    secret = yaml.load(files["operator/alertmanager-secret.yaml"])
    assert secret["kind"] == "Secret" and secret["type"] == "Opaque"
    assert set(secret["stringData"]) == {"alertmanager.yaml"}  # the key the Operator reads
    text = secret["stringData"]["alertmanager.yaml"]
    assert text == files["alertmanager.yml"]
    (tmp_path / "alertmanager.yaml").write_text(text)
    run = subprocess.run([amtool, "check-config", "alertmanager.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_secret_is_inlined(case):
    """Credentials stay file references: every *_file of the receivers is in the Secret as a path."""
    spec, files = case
    text = files["operator/alertmanager-secret.yaml"]
    for r in spec.receivers:
        for path in r.secret_files():
            assert path in text
    # and nothing else: the Secret's text is alertmanager.yml's (above), which tests/test_secrets.py keeps clean


def test_dashboard_config_maps_carry_each_dashboard_with_the_sidecar_label(case):
    spec, files = case
    op = spec.outputs.operator
    for d in spec.dashboards:
        doc = yaml.load(files[f"operator/dashboard-{d.uid}.yaml"])
        assert doc["kind"] == "ConfigMap"
        assert op.dashboard_labels.items() <= doc["metadata"]["labels"].items()
        assert doc["data"] == {f"{d.uid}.json": files[f"grafana/dashboards/{d.uid}.json"]}


def test_scrape_configs_scrape_as_prometheus_yml_does(case):
    spec, files = case
    prom = yaml.load(files.get("prometheus.yml") or files["prometheus-replica-0.yml"])
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    g = prom["global"]
    for t in spec.targets:
        sc = yaml.load(files[f"operator/scrapeconfig-{t.name}.yaml"])["spec"]
        job = jobs[t.name]
        assert sc["jobName"] == job["job_name"]
        assert sc["metricsPath"] == job["metrics_path"] and sc["scheme"] == job["scheme"]
        assert sc["staticConfigs"] == job["static_configs"]
        assert sc["scrapeInterval"] == job.get("scrape_interval", g["scrape_interval"])
        assert sc["scrapeTimeout"] == job.get("scrape_timeout", g["scrape_timeout"])


# --- ruler ---------------------------------------------------------------------------------


def test_ruler_files_split_the_groups_by_namespace_and_pass_promtool(tmp_path, promtool):
    loaded = load(OPERATOR)
    files = render(loaded)
    ruler = {rel: yaml.load(t) for rel, t in files.items() if rel.startswith("ruler/")}
    assert set(ruler) == {"ruler/shop.yml", "ruler/shop-slo.yml"}
    groups = []
    for rel, doc in sorted(ruler.items()):
        assert rel == f"ruler/{doc['namespace']}.yml"
        groups += doc["groups"]
        # promtool reads a ruler file once `namespace:` is set aside (it knows no such key)
        (tmp_path / "rules.yml").write_text(json.dumps({"groups": doc["groups"]}))
        run = subprocess.run([promtool, "check", "rules", "rules.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(groups, key=lambda g: g["name"]) == yaml.load(files["alerts.yml"])["groups"]
    assert [g["name"] for g in ruler["ruler/shop-slo.yml"]["groups"]] == ["slo"]


def test_ruler_namespace_defaults_to_the_project():
    loaded = load(FIXTURES / "specs" / "valid" / "full.yaml", sets=("outputs.ruler={}",))
    files = render(loaded)
    assert [rel for rel in files if rel.startswith("ruler/")] == [f"ruler/{loaded.spec.project}.yml"]
    # a spec without rules writes no ruler file (a ruler namespace of no groups is nothing to sync)
    assert not [rel for rel in render(load(FIXTURES / "specs" / "valid" / "minimal.yaml", sets=("outputs.ruler={}",))) if rel.startswith("ruler/")]


# --- the block scalar that carries a whole file ---------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=200))
def test_a_file_in_a_manifest_reads_back_exactly(text):
    doc = yaml.load(f"key: {yaml_block(text, 4)}\n")
    assert doc == {"key": text}


@pytest.mark.parametrize(
    "text,block",
    [("a: 1\n\nb: 2\n", True), ("a\n\n", False), ("a", False), (" a\n", False), ("a \n", False), ("a\tb\n", False),
     ("a\u2028b\n", False), ("x\ufeff\n", False), ("🚀\n", True)],
)  # fmt: skip
def test_block_only_where_it_reads_back_exactly(text, block):
    assert yaml_block(text, 2).startswith("|\n") is block


# --- sfmon validate ----------------------------------------------------------------------------


def test_validate_checks_the_manifests_against_the_crd_schemas(case):
    from sfmon.tools.operator import check_manifests

    _, files = case
    assert check_manifests(files, "out") == []


def test_validate_reports_a_manifest_the_crd_refuses(tmp_path):
    """A --templates override that misspells a field: the CRD schema says so, per file."""
    import shutil

    from sfmon.paths import default_templates
    from sfmon.tools.operator import check_manifests

    templates = tmp_path / "templates"
    shutil.copytree(default_templates(), templates)
    target = templates / "operator" / "scrapeconfig.yaml.j2"
    target.write_text(target.read_text().replace("  jobName:", "  jobNam:"))
    problems = check_manifests(render(load(OPERATOR), templates), "out")
    assert [(p.file, p.check, p.message) for p in problems] == [
        (f"out/operator/scrapeconfig-{t}.yaml", "operator/schema", "spec: Additional properties are not allowed ('jobNam' was unexpected)")
        for t in ("api", "worker")
    ]

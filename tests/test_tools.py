"""The real promtool and amtool accept what sfmon renders, and route alerts as the spec says."""

import re
import subprocess
from pathlib import Path

import pytest

from sfmon.pipeline import load, render
from sfmon.tools.standins import prepare

from conftest import FIXTURES, GENERATED, SPEC

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

VALID = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]


def write(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60)


def _lacks_plugin_sd(promtool: str, spec: Path, tmp_path: Path) -> bool:
    """Debian's Prometheus build leaves out the Consul and Kubernetes discoveries: a spec that
    uses them is proven by the toolsets that have them (`field ... not found` here)."""
    text = spec.read_text(encoding="utf-8")
    if "consul:" not in text and "kubernetes:" not in text:
        return False
    probe = tmp_path / "sd-probe.yml"
    probe.write_text("scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: [{role: pod}]\n    consul_sd_configs: [{}]\n", encoding="utf-8")
    return run(promtool, "check", "config", str(probe), cwd=tmp_path).returncode != 0


@pytest.mark.parametrize("spec", VALID, ids=lambda p: p.stem)
def test_promtool_and_amtool_accept_render(spec, tmp_path, promtool, amtool):
    out = write(render(load(spec)), tmp_path)
    if _lacks_plugin_sd(promtool, spec, tmp_path):  # Debian's 2.42: those fields (or the UTF-8 names) are unknown; the matrix proves the rest
        cfg = run(promtool, "check", "config", "prometheus.yml", cwd=out)
        assert cfg.returncode != 0 and re.search(r"field (kubernetes|consul)_sd_configs not found|is invalid 'target_label'", cfg.stdout + cfg.stderr), cfg.stdout + cfg.stderr
        return
    prepare(out)  # as `sfmon validate` does: stand-ins for credential files not on this machine
    configs = sorted(p.name for p in out.glob("prometheus*.yml") if not p.name.endswith("-web.yml"))  # or each replica's
    assert configs
    cfg = run(promtool, "check", "config", *configs, cwd=out)
    assert cfg.returncode == 0, cfg.stdout + cfg.stderr
    rules = run(promtool, "check", "rules", "alerts.yml", cwd=out)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    s = load(spec).spec
    alerting = sum(len(a.alert_rules()) for _, a in s.enabled_alerts())  # one rule per tier
    assert f"SUCCESS: {alerting + len(s.recording_rules)} rules found" in rules.stdout
    am = run(amtool, "check-config", "alertmanager.yml", cwd=out)
    assert am.returncode == 0, am.stdout + am.stderr


def test_committed_default_stack_passes_the_tools(promtool, amtool):
    assert run(promtool, "check", "config", "prometheus.yml", cwd=GENERATED).returncode == 0
    rules = run(promtool, "check", "rules", "alerts.yml", cwd=GENERATED)
    assert "SUCCESS: 18 rules found" in rules.stdout  # 13 alerts (two with two tiers), 3 recording rules
    assert run(amtool, "check-config", "alertmanager.yml", cwd=GENERATED).returncode == 0


@pytest.mark.parametrize(
    "labels,receivers",
    [
        (["severity=critical", "job=api"], "pagerduty,ops-slack,ops-email,ops-webhook"),
        (["severity=warning", "job=api"], "ops-slack,ops-email,ops-webhook"),
        (["severity=info"], "ops-email,ops-webhook"),
    ],
)
def test_amtool_routes_default_spec(labels, receivers, amtool):
    got = run(amtool, "config", "routes", "test", "--config.file=alertmanager.yml", *labels, cwd=GENERATED)
    assert got.stdout.strip() == receivers
    verified = run(amtool, "config", "routes", "test", "--config.file=alertmanager.yml", f"--verify.receivers={receivers}", *labels, cwd=GENERATED)
    assert verified.returncode == 0


def test_critical_reaches_pagerduty_and_slack_warning_only_slack(amtool):
    crit = run(amtool, "config", "routes", "test", "--config.file=alertmanager.yml", "severity=critical", cwd=GENERATED).stdout
    warn = run(amtool, "config", "routes", "test", "--config.file=alertmanager.yml", "severity=warning", cwd=GENERATED).stdout
    assert {"pagerduty", "ops-slack"} <= set(crit.strip().split(","))
    assert "ops-slack" in warn and "pagerduty" not in warn


def test_broken_render_is_reported_by_validate_with_file_and_line(tmp_path, promtool, amtool):
    """A template override that breaks the rules file: validate reports promtool's finding."""
    import shutil

    from conftest import run_sfmon
    from sfmon.render.files import default_templates

    tpl = tmp_path / "templates"
    shutil.copytree(default_templates(), tpl)
    # the rules' one serializer, which alerts.yml.j2 includes (and the Operator and ruler outputs)
    rules = (tpl / "_rule_groups.yml.j2").read_text()
    assert "        expr: {{ r.expr }}" in rules
    (tpl / "_rule_groups.yml.j2").write_text(rules.replace("        expr: {{ r.expr }}", "        expr: {{ r.expr ~ ' +' }}"))
    res = run_sfmon("validate", "--templates", str(tpl))
    assert res.returncode == 1
    assert "generated/alerts.yml" in res.stdout and "promtool/rules" in res.stdout

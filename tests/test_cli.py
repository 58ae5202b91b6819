"""The CLI as users run it: real processes, real exit codes, nothing half-written."""

import os
import shutil
from pathlib import Path

from conftest import GENERATED, ROOT, SPEC, run_sfmon, tree_hash


def test_generate_writes_then_reports_up_to_date(workdir):
    first = run_sfmon("generate", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert (workdir / "generated" / "alerts.yml").is_file()
    assert (workdir / "generated" / "grafana" / "dashboards" / "softfactory-api.json").is_file()
    second = run_sfmon("generate", cwd=workdir)
    assert second.returncode == 0 and "already up to date" in second.stdout
    check = run_sfmon("generate", "--check", cwd=workdir)
    assert check.returncode == 0 and "up to date" in check.stdout


def test_committed_generated_equals_fresh_render():
    res = run_sfmon("generate", "--check")
    assert res.returncode == 0, "generated/ is stale; run `make generate` and commit:\n" + res.stdout[:4000]


def test_one_threshold_change_touches_only_dependent_lines(workdir):
    assert run_sfmon("generate", cwd=workdir).returncode == 0
    spec = workdir / "specs" / "specs.yaml"
    spec.write_text(spec.read_text().replace("    above: 5%\n", "    above: 3%\n", 1))
    res = run_sfmon("generate", "--check", cwd=workdir)
    assert res.returncode == 1
    changed = [ln for ln in res.stdout.splitlines() if ln[:1] and ln[0] in "+-" and not ln.startswith(("+++", "---"))]
    files = {ln.split("/", 2)[2] for ln in res.stdout.splitlines() if ln.startswith("+++ b/")}
    assert {"alerts.yml", "grafana/dashboards/softfactory-api.json"} <= files
    assert files - {"alerts.yml", "grafana/dashboards/softfactory-api.json"} <= {f for f in files if f.startswith("tests/")}
    alerts_part = res.stdout.split("+++ b/generated/alerts.yml", 1)[1].split("\n--- ", 1)[0]
    alert_changes = [ln for ln in alerts_part.splitlines() if ln[:1] and ln[0] in "+-"]
    assert len(alert_changes) == 2 and "> 0.05" in alert_changes[0] and "> 0.03" in alert_changes[1]
    dash_part = res.stdout.split("+++ b/generated/grafana/dashboards/softfactory-api.json", 1)[1].split("\n--- ", 1)[0]
    dash_changes = [ln for ln in dash_part.splitlines() if ln[:1] and ln[0] in "+-"]
    assert [ln.strip("+- ") for ln in dash_changes] == ['"value": 0.05,', '"value": 0.03,']
    # Besides the generated rule tests (which move with the threshold), nothing else changed.
    other = [ln for ln in changed if ln not in alert_changes + dash_changes]
    assert all(f.startswith("tests/") for f in files - {"alerts.yml", "grafana/dashboards/softfactory-api.json"}) or not other


def test_broken_spec_is_refused_and_output_untouched(workdir):
    assert run_sfmon("generate", cwd=workdir).returncode == 0
    before = tree_hash(workdir / "generated")
    spec = workdir / "specs" / "specs.yaml"
    spec.write_text(spec.read_text().replace("  retention: 15d\n", "  retention: 15 days\n"))
    res = run_sfmon("generate", cwd=workdir)
    assert res.returncode == 1
    assert "Traceback" not in res.stdout + res.stderr
    line = next(i for i, ln in enumerate(spec.read_text().splitlines(), 1) if "retention:" in ln)
    assert f"specs/specs.yaml:{line}:14: error: prometheus.retention: invalid duration '15 days'" in res.stdout
    assert tree_hash(workdir / "generated") == before
    assert run_sfmon("validate", cwd=workdir).returncode == 1


def test_usage_error_exits_2(workdir):
    res = run_sfmon("generate", "--no-such-option", cwd=workdir)
    assert res.returncode == 2
    assert run_sfmon("no-such-command", cwd=workdir).returncode == 2


def test_missing_tool_exits_3(workdir):
    res = run_sfmon("validate", cwd=workdir, env={"SFMON_PROMTOOL": "/nonexistent/promtool"})
    assert res.returncode == 3
    assert "promtool not found" in res.stderr


def test_validate_default_spec_passes(promtool, amtool):
    res = run_sfmon("validate")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ok:" in res.stdout


def test_templates_override(workdir):
    from sfmon.render.files import default_templates

    tpl = workdir / "tpl"
    shutil.copytree(default_templates(), tpl)
    (tpl / "prometheus.yml.j2").write_text("# custom\n" + (tpl / "prometheus.yml.j2").read_text())
    assert run_sfmon("generate", "--templates", str(tpl), cwd=workdir).returncode == 0
    assert (workdir / "generated" / "prometheus.yml").read_text().startswith("# custom\n")
    (tpl / "alerts.yml.j2").write_text("{{ no_such_variable }}\n")
    res = run_sfmon("generate", "--templates", str(tpl), cwd=workdir)
    assert res.returncode == 1 and "no_such_variable" in res.stdout and "Traceback" not in res.stderr


def test_version_and_help():
    res = run_sfmon("--version")
    assert res.returncode == 0 and res.stdout.startswith("sfmon ")
    script = shutil.which("sfmon", path=str(Path(os.sys.executable).parent))
    if script:
        import subprocess

        assert subprocess.run([script, "--version"], capture_output=True, text=True).stdout == res.stdout
    helped = run_sfmon("generate", "--help")
    assert helped.returncode == 0 and "Examples:" in helped.stdout and "Exit codes" in helped.stdout


def test_json_and_github_formats_for_spec_errors(workdir):
    spec = workdir / "specs" / "specs.yaml"
    spec.write_text(spec.read_text().replace("    above: 5%\n", "    above: 500%\n"))
    js = run_sfmon("generate", "--format", "json", cwd=workdir)
    import json

    (obj,) = [json.loads(ln) for ln in js.stdout.splitlines()]
    assert obj["file"] == "specs/specs.yaml" and obj["check"] == "spec/load" and obj["severity"] == "error" and obj["line"] > 0
    gh = run_sfmon("generate", "--format", "github", cwd=workdir)
    assert gh.stdout.startswith(f"::error file=specs/specs.yaml,line={obj['line']},col={obj['column']},title=sfmon spec/load::alerts[1].above")

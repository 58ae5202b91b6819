"""Environments and team-owned spec files, end to end on examples/teams (docs/teams.md,
docs/environments.md): one `generate` renders every environment into OUT/<env>/, the real
promtool and amtool accept each, `--check` and `diff` cover them all, and a team file's
problems stay placed in the team file."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from ruamel.yaml import YAML

from conftest import ROOT, run_sfmon

EXAMPLE = ROOT / "examples" / "teams"
ENVS = ["dev", "prod", "staging"]


def _yaml(path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _rules(out, env) -> dict[str, dict]:
    doc = _yaml(out / env / "alerts.yml")
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("teams") / "generated"
    done = run_sfmon("generate", "--spec", str(EXAMPLE / "specs.yaml"), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_one_run_renders_every_environment(rendered):
    assert sorted(p.name for p in rendered.iterdir() if p.is_dir()) == ENVS
    for env in ENVS:
        assert (rendered / env / "prometheus.yml").is_file() and (rendered / env / "alertmanager.yml").is_file()
        assert _yaml(rendered / env / "prometheus.yml")["global"]["external_labels"]["env"] == env


def test_an_alert_switched_off_in_one_environment_only(rendered):
    assert "SearchSlow" not in _rules(rendered, "dev")
    assert "SearchSlow" in _rules(rendered, "staging") and "SearchSlow" in _rules(rendered, "prod")


def test_a_threshold_changed_in_staging_only(rendered):
    staging, prod, dev = (_rules(rendered, e)["CheckoutErrors"]["expr"] for e in ("staging", "prod", "dev"))
    assert "> 0.2" in staging and "> 0.05" not in staging
    assert "> 0.05" in prod and prod == dev
    # The target's address changes in staging only, too.
    jobs = {e: {j["job_name"]: j for j in _yaml(rendered / e / "prometheus.yml")["scrape_configs"]} for e in ("staging", "prod")}
    assert jobs["staging"]["checkout"]["static_configs"][0]["targets"] == ["checkout.staging:8000"]
    assert jobs["prod"]["checkout"]["static_configs"][0]["targets"] == ["checkout:8000"]


def test_team_routes_come_before_the_root_fallback(rendered):
    routes = _yaml(rendered / "prod" / "alertmanager.yml")["route"]["routes"]
    receivers = [r["receiver"] for r in routes]
    assert receivers[-1] == "oncall", receivers  # the root's critical route, after every team's
    assert {"payments-slack", "search-email"} <= set(receivers)


def test_promtool_and_amtool_accept_every_environment(rendered, promtool, amtool):
    for env in ENVS:
        d = rendered / env
        rules = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=d, capture_output=True, text=True, timeout=60)
        assert rules.returncode == 0, rules.stdout + rules.stderr
        am = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=d, capture_output=True, text=True, timeout=60)
        assert am.returncode == 0, am.stdout + am.stderr


def test_validate_covers_every_environment(promtool, amtool, tmp_path):
    done = run_sfmon("validate", "--spec", str(EXAMPLE / "specs.yaml"), "--out", str(tmp_path / "g"), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid in 3 environments (dev, staging, prod)" in done.stdout + done.stderr


def test_committed_example_is_up_to_date():
    done = run_sfmon("generate", "--check", "--spec", "examples/teams/specs.yaml", "--out", "examples/teams/generated")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def example(tmp_path):
    root = tmp_path / "teams"
    shutil.copytree(EXAMPLE, root)
    return root


def _check(root):
    return run_sfmon("generate", "--check", "--spec", "specs.yaml", "--out", "generated", cwd=root)


def test_check_covers_every_environment_and_every_input(example):
    assert _check(example).returncode == 0  # the committed tree, now also memoised
    staging = example / "generated" / "staging" / "alerts.yml"
    staging.write_text(staging.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    drift = _check(example)
    assert drift.returncode == 1 and "staging/alerts.yml" in drift.stdout
    assert run_sfmon("generate", "--spec", "specs.yaml", "--out", "generated", cwd=example).returncode == 0
    assert _check(example).returncode == 0
    # A team file edited, an environment overlay edited, a team file added: each is stale,
    # though the root spec (the memo's key) did not change.
    team = example / "teams" / "search.yaml"
    team.write_text(team.read_text(encoding="utf-8").replace("above: 500ms", "above: 700ms"), encoding="utf-8")
    stale = _check(example)
    # SearchSlow is off in dev: only staging and prod change.
    assert stale.returncode == 1 and "staging/alerts.yml" in stale.stdout and "prod/alerts.yml" in stale.stdout
    assert "dev/alerts.yml" not in stale.stdout
    team.write_text(EXAMPLE.joinpath("teams", "search.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert _check(example).returncode == 0
    (example / "environments" / "prod.yaml").write_text("prometheus:\n  external_labels: {env: production}\n", encoding="utf-8")
    stale = _check(example)
    assert stale.returncode == 1 and "prod/prometheus.yml" in stale.stdout and "staging/" not in stale.stdout
    shutil.copyfile(EXAMPLE / "environments" / "prod.yaml", example / "environments" / "prod.yaml")
    assert _check(example).returncode == 0
    (example / "teams" / "zz-new.yaml").write_text("targets:\n  - {name: extra, addresses: ['extra:9100']}\n", encoding="utf-8")
    assert _check(example).returncode == 1


def test_diff_reports_per_environment(example):
    new = example.parent / "new"
    shutil.copytree(example, new)
    staging = new / "environments" / "staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8").replace("above: 20%", "above: 25%"), encoding="utf-8")
    done = run_sfmon("diff", str(example / "specs.yaml"), str(new / "specs.yaml"))
    assert done.returncode == 0, done.stderr
    sections = done.stdout.split("#### ")[1:]
    assert [s.splitlines()[0] for s in sections] == ["`dev`: no changes", "`staging`: 1 change", "`prod`: no changes"]
    assert "- alert **CheckoutErrors**: threshold above `20%` -> `25%`" in sections[1]


def test_diff_base_reads_team_files_and_overlays_at_the_ref(example):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "."], cwd=example, check=True)
    subprocess.run([*git, "add", "-A"], cwd=example, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=example, check=True)
    team = example / "teams" / "payments.yaml"
    team.write_text(team.read_text(encoding="utf-8").replace("for: 1m", "for: 2m"), encoding="utf-8")
    (example / "environments" / "dev.yaml").write_text("prometheus:\n  external_labels: {env: dev}\n", encoding="utf-8")
    done = run_sfmon("diff", "--base", "HEAD", "--spec", "specs.yaml", cwd=example)
    assert done.returncode == 0, done.stderr
    sections = {s.splitlines()[0]: s for s in done.stdout.split("#### ")[1:]}
    assert set(sections) == {"`dev`: 3 changes", "`staging`: 1 change", "`prod`: 1 change"}, done.stdout
    assert "- alert **CheckoutDown**: for `1m` -> `2m`" in sections["`prod`: 1 change"]
    assert "- alert **SearchSlow** enabled" in sections["`dev`: 3 changes"]


def test_a_problem_in_a_team_file_is_placed_there(example):
    team = example / "teams" / "search.yaml"
    team.write_text(team.read_text(encoding="utf-8").replace("target: search\n    histogram", "target: serch\n    histogram"), encoding="utf-8")
    done = run_sfmon("generate", "--spec", "specs.yaml", "--out", "out", cwd=example)
    assert done.returncode == 1
    line = next(i for i, t in enumerate(team.read_text(encoding="utf-8").splitlines(), 1) if "serch" in t)
    assert f"teams/search.yaml:{line}:13: error: alerts[3].target: unknown target 'serch'" in done.stdout, done.stdout
    assert done.stdout.count("unknown target 'serch'") == 1  # once, not once per environment


def test_a_team_route_needs_leave_for_another_files_receiver(example):
    team = example / "teams" / "search.yaml"
    text = team.read_text(encoding="utf-8")
    team.write_text(text.replace("notify: [search-email]", "notify: [search-email, platform-email]"), encoding="utf-8")
    done = run_sfmon("generate", "--spec", "specs.yaml", "--out", "out", cwd=example)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "teams/search.yaml:" in done.stdout and "receiver 'platform-email' belongs to specs.yaml" in done.stdout, done.stdout
    assert not (example / "out").exists()
    # The leave, given where the receiver is defined: now it renders.
    spec = example / "specs.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("  - name: platform-email\n", "  - name: platform-email\n    shared: true\n"), encoding="utf-8")
    done = run_sfmon("generate", "--spec", "specs.yaml", "--out", "out", cwd=example)
    assert done.returncode == 0, done.stdout + done.stderr


def test_diff_json_names_each_changes_environment(example):
    new = example.parent / "new"
    shutil.copytree(example, new)
    dev = new / "environments" / "dev.yaml"
    dev.write_text(dev.read_text(encoding="utf-8").replace("enabled: false", "enabled: true"), encoding="utf-8")
    done = run_sfmon("diff", "--format", "json", str(example / "specs.yaml"), str(new / "specs.yaml"))
    assert done.returncode == 0, done.stderr
    import json

    doc = json.loads(done.stdout)
    assert doc["environments"] == {"dev": 1, "staging": 0, "prod": 0}
    assert [(c["environment"], c["subject"], c["action"]) for c in doc["changes"]] == [("dev", "alert SearchSlow", "enabled")]

"""`generate --check --quiet`: the exit code alone, stopping at the first stale file."""

from __future__ import annotations

from conftest import run_sfmon


def test_quiet_check_prints_nothing_and_exits_by_state(workdir):
    assert run_sfmon("generate", "-q", cwd=workdir).returncode == 0
    up_to_date = run_sfmon("generate", "--check", "--quiet", cwd=workdir)
    assert (up_to_date.returncode, up_to_date.stdout, up_to_date.stderr) == (0, "", "")

    (workdir / "generated" / "alerts.yml").write_text("stale\n")
    stale = run_sfmon("generate", "--check", "-q", cwd=workdir)
    assert (stale.returncode, stale.stdout, stale.stderr) == (1, "", "")
    loud = run_sfmon("generate", "--check", cwd=workdir)
    assert loud.returncode == 1 and "+++ b/generated/alerts.yml" in loud.stdout


def test_quiet_check_still_reports_spec_errors(workdir):
    spec = workdir / "specs" / "specs.yaml"
    spec.write_text(spec.read_text().replace("version: 1", "version: 2", 1))
    proc = run_sfmon("generate", "--check", "-q", cwd=workdir)
    assert proc.returncode == 1 and "version" in proc.stdout

"""Versions: which promtool/amtool release validate runs (detected), and the release a spec
targets (`prometheus.version`, `alertmanager.version`), warned about when they differ."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import edited_spec, run_sfmon
from sfmon.semantics.versions import Version, parse_version, reported_version
from sfmon.tools.versions import detect

pytestmark = pytest.mark.matrix


@pytest.mark.parametrize(
    ("text", "version"),
    [("3.5", Version(3, 5, 0)), ("3.16.0", Version(3, 16, 0)), ("v0.25.1", Version(0, 25, 1)), ("3", None), ("latest", None), ("3.5.1-rc.0", None)],
)
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_reported_version_reads_debian_and_upstream_banners():
    assert reported_version("promtool, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0+ds-5)") == Version(2, 42, 0)
    assert reported_version("amtool, version 0.35.0 (branch: HEAD, revision: v0.35.0)\n  go version: go1.26.8") == Version(0, 35, 0)
    assert reported_version("no version here") is None


def test_each_toolset_reports_its_release(toolset, promtool, amtool):
    found_prom, found_am = detect(promtool), detect(amtool)
    assert found_prom is not None and found_am is not None
    if toolset.name == "debian":
        assert (found_prom.major, found_am.major) == (2, 0)
    else:  # the builds are named for the Prometheus release they carry (tests/toolsets.py)
        assert f"prom-{found_prom}" == toolset.name
        assert found_prom.major == 3 and found_am >= Version(0, 35)


def _spec_targeting(tmp_path, prometheus: str, alertmanager: str):
    return edited_spec(
        tmp_path,
        ("prometheus:\n  scrape_interval: 15s\n", f'prometheus:\n  version: "{prometheus}"\n  scrape_interval: 15s\n'),
        ("alertmanager:\n  web:\n", f'alertmanager:\n  version: "{alertmanager}"\n  web:\n'),
    )


def test_validate_is_quiet_when_the_spec_targets_the_installed_releases(tmp_path, promtool, amtool):
    p, a = detect(promtool), detect(amtool)
    assert p and a
    spec = _spec_targeting(tmp_path, f"{p.major}.{p.minor}", f"{a.major}.{a.minor}.{a.patch}")
    done = run_sfmon("validate", "--spec", str(spec), "--out", str(tmp_path / "generated"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/version]" not in done.stdout + done.stderr
    assert f"with promtool {p}, amtool {a}" in done.stdout + done.stderr


def test_validate_warns_on_the_spec_line_when_the_installed_release_is_another(tmp_path, promtool, amtool):
    """The proofs are still run and still pass; the warning says which release they proved."""
    p, a = detect(promtool), detect(amtool)
    assert p and a
    other_prom = "3.5" if p.major == 2 else "2.42"
    other_am = "0.28" if (a.major, a.minor) != (0, 28) else "0.27"
    spec = _spec_targeting(tmp_path, other_prom, other_am)
    done = run_sfmon("validate", "--spec", str(spec), "--out", str(tmp_path / "generated"))
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert re.search(
        rf"specs\.yaml:8:12: warning: prometheus\.version: the spec targets Prometheus {re.escape(other_prom)} "
        rf"but promtool is {re.escape(str(p))}: the checks and tests proved the files for {p.major}\.{p.minor} .*\[promtool/version\]",
        out,
    ), out
    assert re.search(rf"alertmanager\.version: the spec targets Alertmanager {re.escape(other_am)} but amtool is {re.escape(str(a))}.*\[amtool/version\]", out), out


# An evaluation grid that is the sample grid (1m): no evaluation avoids a sample on the rate
# window's start, which 2.x counts and 3.x (left-open ranges) does not; with these numbers the
# two predict different last digits of $value. Predicting for the spec's target release is
# what makes the generated test hold (found with promtool 3.5.1 and 2.42).
_ON_GRID = (
    ("  evaluation_interval: 15s\n", "  evaluation_interval: 1m\n"),
    ("    window: 5m\n    above: 5%\n", "    window: 7m\n    above: 11%\n"),
    ('    summary: "More than 5% of API requests fail"\n', '    summary: "v={{ $value }}"\n'),
)


def _generated_tests(tmp_path, version: str | None) -> str:
    tmp_path.mkdir(exist_ok=True)
    edits = _ON_GRID + ((("prometheus:\n", f'prometheus:\n  version: "{version}"\n'),) if version else ())
    spec = edited_spec(tmp_path, *edits)
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "generated"))
    assert done.returncode == 0, done.stdout + done.stderr
    return (tmp_path / "generated" / "tests" / "alerts.test.yml").read_text(encoding="utf-8")


def test_the_prediction_follows_the_target_release_where_the_window_start_is_a_sample(tmp_path):
    two, three = _generated_tests(tmp_path / "2", None), _generated_tests(tmp_path / "3", "3.5")
    assert two != three
    assert re.findall(r"v=([0-9.e-]+)", two) != re.findall(r"v=([0-9.e-]+)", three)


def test_rule_tests_generated_for_the_toolsets_release_pass_its_promtool(tmp_path, promtool):
    found = detect(promtool)
    assert found is not None
    _generated_tests(tmp_path, f"{found.major}.{found.minor}")
    done = subprocess.run([promtool, "test", "rules", "tests/alerts.test.yml"], cwd=tmp_path / "generated",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_now_is_predicted_as_the_evaluation_promtool_compares(tmp_path, promtool):
    """`now` (3.6+) in a generated test and in a spec-written test whose eval_time is off the
    15s evaluation grid: the alert promtool compares was evaluated at the step before it. On a
    release without `now` the spec is refused at the template, as its promtool refuses it."""
    found = detect(promtool)
    assert found is not None
    spec = edited_spec(
        tmp_path,
        ("prometheus:\n", f'prometheus:\n  version: "{found.major}.{found.minor}"\n'),
        ('    summary: "Cache hit ratio is below 70%"\n', '    summary: "Cache hit ratio is below 70% at {{ now }}"\n'),
        ("        at: 20m\n        labels: {job: api}\n", "        at: 20m7s\n        labels: {job: api}\n"),
    )
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "generated"))
    if (found.major, found.minor) < (3, 6):
        assert done.returncode == 1
        assert "alerts[7].summary: the template function 'now' exists from Prometheus 3.6 on" in done.stdout + done.stderr, done.stdout
        return
    assert done.returncode == 0, done.stdout + done.stderr
    tests = (tmp_path / "generated" / "tests" / "alerts.test.yml").read_text(encoding="utf-8")
    assert 'summary: "Cache hit ratio is below 70% at 1200"' in tests  # 20m7s: the 20m evaluation
    assert re.search(r'summary: "Cache hit ratio is below 70% at [0-9]+"', tests.replace("at 1200", ""))  # a generated case
    ran = subprocess.run([promtool, "test", "rules", "tests/alerts.test.yml"], cwd=tmp_path / "generated",
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr

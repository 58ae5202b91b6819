"""The --check memo answers only when inputs and outputs are exactly as last seen."""

from conftest import run_sfmon


def test_memo_hit_replays_warnings_and_catches_hand_edits(workdir):
    spec = workdir / "specs" / "specs.yaml"
    # A warning (unknown metric in a dashboard) must be reported on a memo hit too.
    spec.write_text(spec.read_text().replace("expr: max(process_memory_mb)", "expr: max(process_memory_mbb)"))
    assert run_sfmon("generate", cwd=workdir).returncode == 0
    first = run_sfmon("generate", "--check", cwd=workdir)
    second = run_sfmon("generate", "--check", cwd=workdir)
    assert first.returncode == second.returncode == 0
    assert "process_memory_mbb" in first.stdout and first.stdout == second.stdout

    # A hand edit of a generated file is drift, memo or not.
    alerts = workdir / "generated" / "alerts.yml"
    alerts.write_text(alerts.read_text().replace('severity: "critical"', 'severity: "page"', 1))
    edited = run_sfmon("generate", "--check", cwd=workdir)
    assert edited.returncode == 1 and '-          severity: "page"' in edited.stdout

    # So is a spec edit, after the output was regenerated.
    assert run_sfmon("generate", cwd=workdir).returncode == 0
    spec.write_text(spec.read_text().replace("    above: 5%\n", "    above: 4%\n", 1))
    assert run_sfmon("generate", "--check", cwd=workdir).returncode == 1


def test_memo_key_covers_every_sfmon_subpackage(tmp_path, monkeypatch):
    """The memo hashes all of sfmon's source: a change in any subpackage (not only the
    module that computes the key) must invalidate it."""
    import shutil

    from sfmon import paths
    from sfmon.write import checkcache

    copy = tmp_path / "sfmon"
    shutil.copytree(paths.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "PACKAGE", copy)
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\n")
    args = (spec, (), (), paths.default_templates(), tmp_path / "out")
    before = checkcache.key(*args)
    (copy / "kinds" / "base.py").write_text((copy / "kinds" / "base.py").read_text() + "\n# changed\n")
    assert checkcache.key(*args) != before

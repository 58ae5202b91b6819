"""Commands that now go through the core: `diff` loads both sides through the pipeline
(overlays, checks), `schema --output` uses the writer's atomic single-file write."""

from __future__ import annotations

import os

import pytest

from conftest import SPEC, edited_spec, run_sfmon, spec_repo


def bullets(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("- ")]


def test_diff_applies_an_overlay_to_both_sides(tmp_path):
    overlay = tmp_path / "staging.yaml"
    overlay.write_text("alerts:\n  - {name: HighErrorRate, above: 3%}\n", encoding="utf-8")
    new = edited_spec(tmp_path, ("    above: 5%\n", "    above: 4%\n"), ('channel: "#ops-alerts"', 'channel: "#alerts"'))
    plain = run_sfmon("diff", str(SPEC), str(new))
    assert plain.returncode == 0, plain.stderr
    assert bullets(plain.stdout) == [
        "- alert **HighErrorRate**: threshold above `5%` -> `4%`",
        "- receiver **ops-slack**: slack.channel `#ops-alerts` -> `#alerts`",
    ]
    layered = run_sfmon("diff", str(SPEC), str(new), "--overlay", str(overlay))
    assert layered.returncode == 0, layered.stderr
    assert bullets(layered.stdout) == ["- receiver **ops-slack**: slack.channel `#ops-alerts` -> `#alerts`"]
    same = run_sfmon("diff", str(SPEC), str(new), "--overlay", str(overlay), "--set", 'receivers[ops-slack].slack.channel="#x"')
    assert same.returncode == 0 and bullets(same.stdout) == []


def test_diff_base_applies_the_overlay_to_the_spec_at_the_ref_too(tmp_path):
    spec_repo(tmp_path)
    edited_spec(tmp_path / "specs", ("    above: 5%\n", "    above: 4%\n"))
    (tmp_path / "o.yaml").write_text("alerts:\n  - {name: HighErrorRate, above: 3%}\n", encoding="utf-8")
    plain = run_sfmon("diff", "--base", "HEAD", cwd=tmp_path)
    assert plain.returncode == 0 and bullets(plain.stdout) == ["- alert **HighErrorRate**: threshold above `5%` -> `4%`"]
    layered = run_sfmon("diff", "--base", "HEAD", "--overlay", "o.yaml", cwd=tmp_path)
    assert layered.returncode == 0, layered.stderr
    assert bullets(layered.stdout) == []
    broken = run_sfmon("diff", "--base", "HEAD", "--set", "routing.receiver=nobody", cwd=tmp_path)
    assert broken.returncode == 1 and broken.stdout == ""
    assert "--set routing.receiver=nobody: error: routing.receiver: unknown receiver 'nobody'" in broken.stderr


def test_diff_refuses_a_side_the_checks_find_invalid(tmp_path):
    bad = edited_spec(tmp_path, ("receiver: ops-email", "receiver: ops-mail"))
    result = run_sfmon("diff", str(SPEC), str(bad))
    assert result.returncode == 1 and result.stdout == ""
    assert "routing.receiver: unknown receiver 'ops-mail' (did you mean 'ops-email'?) [names/references]" in result.stderr
    overlay = run_sfmon("diff", str(SPEC), str(SPEC), "--set", "routing.receiver=nobody")
    assert overlay.returncode == 1 and "--set routing.receiver=nobody: error: routing.receiver: unknown receiver" in overlay.stderr


def test_schema_output_is_replaced_atomically(tmp_path):
    printed = run_sfmon("schema")
    assert printed.returncode == 0
    target = tmp_path / "schema" / "sfmon.schema.json"
    first = run_sfmon("schema", "--output", str(target))
    assert first.returncode == 0 and first.stderr == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == printed.stdout and target.stat().st_mode & 0o777 == 0o644
    target.write_text("old schema", encoding="utf-8")
    with open(target, encoding="utf-8") as reader:  # a reader of the old file is never shown a mix
        assert run_sfmon("schema", "--output", str(target)).returncode == 0
        assert reader.read() == "old schema"
    assert target.read_text(encoding="utf-8") == printed.stdout
    assert os.listdir(target.parent) == ["sfmon.schema.json"]  # no temporary file left behind


def test_schema_output_that_cannot_be_written_is_one_line_exit_1(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run_sfmon("schema", "--output", str(tmp_path / "file" / "schema.json"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"error: cannot write {tmp_path}/file/schema.json: ") and "Traceback" not in result.stderr
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"

"""Acknowledgements: a reviewed warning is listed as acknowledged with its reason, an error
never is, and an entry that no longer matches anything is itself a warning."""

from __future__ import annotations

import json

from sfmon import reporters
from sfmon.pipeline import load_and_check
from sfmon.problems import Severity

from conftest import edited_spec, run_sfmon

MISSPELT = ("numerator: cache_hits_total", "numerator: cache_hit_total")  # a promql/metrics warning on alerts[7]


def spec_with(tmp_path, acknowledge: str, *edits: tuple[str, str]):
    path = edited_spec(tmp_path, *edits)
    path.write_text(path.read_text(encoding="utf-8") + "acknowledge:\n" + acknowledge, encoding="utf-8")
    return path


def problems(path):
    loaded, found = load_and_check(path)
    assert loaded is not None, found
    return found


def test_a_warning_acknowledged_by_name_or_index_carries_the_reason(tmp_path):
    for where in ("alerts[CacheHitRatioDegraded]", "alerts[7]", "alerts[7].numerator", None):
        entry = "  - check: promql/metrics\n" + (f"    where: {where}\n" if where else "") + "    reason: renamed next sprint\n"
        (p,) = problems(spec_with(tmp_path, entry, MISSPELT))
        assert (p.check, p.severity, p.acknowledged) == ("promql/metrics", Severity.WARNING, "renamed next sprint"), where
        assert p.message.startswith("alerts[7].numerator: metric 'cache_hit_total'")


def test_an_acknowledgement_elsewhere_leaves_the_warning_and_is_stale(tmp_path):
    entry = "  - check: promql/metrics\n    where: alerts[HighErrorRate]\n    reason: r\n"
    path = spec_with(tmp_path, entry, MISSPELT)
    warning, stale = problems(path)
    assert warning.check == "promql/metrics" and not warning.acknowledged
    assert (stale.check, stale.severity) == ("spec/acknowledge", Severity.WARNING)
    assert stale.message == "acknowledge[0]: stale: no promql/metrics warning at alerts[HighErrorRate] to acknowledge; remove this entry"
    assert "check: promql/metrics" in path.read_text(encoding="utf-8").splitlines()[stale.line - 1]  # placed on the entry


def test_stale_when_the_warning_is_gone_or_the_path_names_nothing(tmp_path):
    entries = (
        "  - {check: promql/metrics, reason: fixed since}\n"
        "  - {check: promql/metrics, where: 'alerts[NoSuchAlert]', reason: r}\n"
        "  - {check: promql/metrics, where: 'alerts[7]numerator', reason: r}\n"  # not a path: the dot is missing
    )
    gone, nothing, malformed = problems(spec_with(tmp_path, entries))
    assert malformed.message == "acknowledge[2].where: stale: alerts[7]numerator names nothing in the spec"
    assert gone.severity == nothing.severity == Severity.WARNING
    assert gone.message == "acknowledge[0]: stale: no promql/metrics warning to acknowledge; remove this entry"
    assert nothing.message == "acknowledge[1].where: stale: alerts[NoSuchAlert] names nothing in the spec"
    assert nothing.line == gone.line + 1 and nothing.column > 1


def test_an_error_cannot_be_acknowledged(tmp_path):
    entry = "  - {check: names/references, where: 'routing', reason: later}\n"
    path = spec_with(tmp_path, entry, ("receiver: ops-email", "receiver: ops-mail"))
    found = problems(path)
    refused = [p for p in found if p.check == "spec/acknowledge"]
    error = [p for p in found if p.check == "names/references"]
    assert len(refused) == 1 and len(error) == 1 and not error[0].acknowledged
    assert refused[0].severity == Severity.ERROR and refused[0].line > 0
    assert refused[0].message.startswith(f"acknowledge[0]: an error cannot be acknowledged, fix it: {error[0].location()}: routing.receiver: unknown receiver 'ops-mail'")
    result = run_sfmon("generate", "--spec", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "[spec/acknowledge]" in result.stdout


def test_an_unknown_check_is_an_error_with_a_hint(tmp_path):
    (p,) = problems(spec_with(tmp_path, "  - {check: promql/metric, reason: r}\n"))
    assert p.severity == Severity.ERROR
    assert p.message == "acknowledge[0].check: unknown check 'promql/metric' (did you mean 'promql/metrics'?)"


def test_a_reason_is_required(tmp_path):
    loaded, (p,) = load_and_check(spec_with(tmp_path, "  - {check: promql/metrics}\n", MISSPELT))
    assert loaded is None and p.check == "spec/load" and p.message.startswith("acknowledge[0].reason:")


def test_reporters_show_an_acknowledged_warning_as_acknowledged(tmp_path):
    path = spec_with(tmp_path, "  - {check: promql/metrics, where: 'alerts[7]', reason: 'renamed: next sprint'}\n", MISSPELT)
    (p,) = problems(path)
    assert reporters.text([p]) == f"1 warning acknowledged: {p.location()} [promql/metrics] (renamed: next sprint)"
    assert reporters.github([p]) == ""
    obj = json.loads(reporters.as_json([p]))
    assert obj["acknowledged"] is True and obj["reason"] == "renamed: next sprint" and obj["severity"] == "warning"
    out = tmp_path / "out"
    text = run_sfmon("generate", "--spec", str(path), "--out", str(out))
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == f"1 warning acknowledged: {p.location()} [promql/metrics] (renamed: next sprint)"
    assert "warning:" not in text.stdout
    gh = run_sfmon("generate", "--check", "--spec", str(path), "--out", str(out), "--format", "github")
    assert gh.returncode == 0 and gh.stdout == ""
    js = run_sfmon("generate", "--check", "--spec", str(path), "--out", str(out), "--format", "json")
    assert [json.loads(line)["acknowledged"] for line in js.stdout.splitlines()] == [True]

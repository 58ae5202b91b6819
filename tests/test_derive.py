"""Derive once, read everywhere: one `derive(spec)` per `sfmon generate` / `validate`, the same
object in the checks, the render and validate's success line."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

import sfmon.checks
import sfmon.derive
import sfmon.render.files
from conftest import SPEC, edited_spec
from sfmon.cli.app import app
from sfmon.pipeline import load, load_and_check, render


@pytest.fixture
def seen(monkeypatch):
    """Record, in-process, every derive() and what the checks and the render were given."""
    got: dict[str, list] = {"derive": [], "checks": [], "render": []}
    real_derive, real_checks, real_render = sfmon.derive.derive, sfmon.checks.run_checks, sfmon.render.files.render

    def derive(spec):
        got["derive"].append(real_derive(spec))
        return got["derive"][-1]

    def run_checks(ctx):
        got["checks"].append(ctx.derived)
        return real_checks(ctx)

    def render_files(spec, derived, templates=None):
        got["render"].append(derived)
        return real_render(spec, derived, templates)

    monkeypatch.setattr(sfmon.derive, "derive", derive)
    monkeypatch.setattr(sfmon.checks, "run_checks", run_checks)
    monkeypatch.setattr(sfmon.render.files, "render", render_files)
    return got


def test_generate_derives_once_for_the_checks_and_the_render(seen, tmp_path):
    result = CliRunner().invoke(app, ["generate", "--spec", str(SPEC), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (derived,) = seen["derive"]
    assert seen["checks"] == [derived] and seen["render"] == [derived]
    assert all(x is derived for x in seen["checks"] + seen["render"])


def test_validate_derives_once_and_counts_what_it_derived(seen, tmp_path, promtool, amtool):
    result = CliRunner().invoke(app, ["validate", "--spec", str(SPEC)])
    assert result.exit_code == 0, result.output
    (derived,) = seen["derive"]
    assert seen["checks"][0] is derived and seen["render"][0] is derived
    m = re.search(r"passed (\d+) rule test cases \(promtool\), (\d+) route tests \(amtool\)", result.output)
    assert m, result.output
    assert int(m.group(1)) == derived.rule_tests.cases() > 0
    assert int(m.group(2)) == len(derived.route_cases) > 0
    # The same counts as the rendered test files hold.
    files = render(load(SPEC))
    tests = files["tests/alerts.test.yml"] + files.get("tests/alerts-long.test.yml", "")  # the long alerts' file too
    assert int(m.group(1)) == len(re.findall(r"(?m)^\s*-?\s*eval_time:", tests))
    assert int(m.group(2)) == len(re.findall(r"(?m)^  - name:", files["tests/routes.test.yml"]))


def test_loaded_derives_lazily_once():
    loaded = load(SPEC)
    assert "derived" not in vars(loaded)  # nothing derived until a stage asks
    assert loaded.derived is loaded.derived
    assert len(loaded.derived.route_cases) == len(loaded.spec.routing.tests)


def test_a_regex_go_refuses_is_a_placed_spec_error(tmp_path):
    spec = edited_spec(tmp_path, ("routes:\n", "routes:\n    - {match_re: {team: \"(\"}, notify: [ops-email]}\n"))
    loaded, problems = load_and_check(spec)
    assert loaded is None
    (p,) = problems
    assert p.line > 0 and p.column > 0
    assert p.message.startswith("routing.routes[0].match_re.team: error parsing regexp `(`: missing )")


def test_a_routing_tree_sfmon_cannot_build_is_derived_as_its_error(tmp_path, monkeypatch):
    from sfmon.derive import routing_tree
    from sfmon.semantics.matchers import MatcherError

    def refuse(spec):
        raise MatcherError("bad matcher format: x")

    monkeypatch.setattr(routing_tree, "from_spec", refuse)
    loaded, problems = load_and_check(SPEC)
    assert loaded is not None and loaded.derived.routing_tree is None
    assert loaded.derived.routing_error == "bad matcher format: x"
    assert [p.message for p in problems if p.check == "routing/tests"] == ["routing: cannot evaluate the routing tree: bad matcher format: x"]

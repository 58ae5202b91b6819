"""sfmon's own Alertmanager route and inhibit evaluation: unit cases, and agreement with amtool."""

import subprocess

import pytest
from ruamel.yaml import YAML

from sfmon.semantics import routing as ev
from sfmon.derive import routing_tree
from sfmon.pipeline import load, render

from conftest import FIXTURES, SPEC

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

VALID = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]


def tree(config: dict) -> ev.Tree:
    return ev.from_config(config)


def test_parse_matcher_forms():
    assert ev.parse_matcher('severity="critical"') == ev.Matcher("severity", "=", "critical")
    assert ev.parse_matcher("team=~back.*") == ev.Matcher("team", "=~", "back.*")
    assert ev.parse_matcher(' job != "a \\"b\\"" ') == ev.Matcher("job", "!=", 'a "b"')
    assert ev.parse_matcher('x!~"1|2"') == ev.Matcher("x", "!~", "1|2")
    with pytest.raises(ValueError):
        ev.parse_matcher("no operator")


def test_matchers_missing_label_is_empty_and_regex_is_anchored():
    m = ev.parse_matcher('team=~"back"')
    assert m.matches({"team": "back"}) and not m.matches({"team": "backend"})
    assert ev.parse_matcher('team=""').matches({})
    assert ev.parse_matcher('team!="x"').matches({})
    assert not ev.parse_matcher('team!~".*"').matches({})


def test_first_match_wins_without_continue_and_root_is_the_fallback():
    t = tree(
        {
            "route": {
                "receiver": "root",
                "routes": [
                    {"receiver": "a", "matchers": ['severity="critical"']},
                    {"receiver": "b", "matchers": ['severity=~"critical|warning"']},
                ],
            }
        }
    )
    assert ev.receivers(t, {"severity": "critical"}) == ["a"]
    assert ev.receivers(t, {"severity": "warning"}) == ["b"]
    assert ev.receivers(t, {"severity": "info"}) == ["root"]


def test_continue_collects_in_order_and_children_inherit_the_receiver():
    t = tree(
        {
            "route": {
                "receiver": "root",
                "routes": [
                    {"receiver": "a", "match": {"severity": "critical"}, "continue": True},
                    {"match_re": {"severity": "crit.*"}, "routes": [{"receiver": "c", "matchers": ['team="db"']}]},
                    {"receiver": "d"},
                ],
            }
        }
    )
    # The second route has no receiver of its own: it inherits root; its child is tried first.
    assert ev.receivers(t, {"severity": "critical", "team": "db"}) == ["a", "c"]
    assert ev.receivers(t, {"severity": "critical"}) == ["a", "root"]
    assert ev.receivers(t, {"severity": "warning"}) == ["d"]


def test_inhibition_equal_labels_and_two_sided_rules():
    t = tree(
        {
            "route": {"receiver": "r"},
            "inhibit_rules": [
                {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": ["job"]},
                {"source_matchers": ['alertname="Maintenance"'], "target_matchers": ['team="db"']},
                {"source_matchers": ['tier="x"'], "target_matchers": ['tier="x"']},
            ],
        }
    )
    crit_api = {"alertname": "ApiDown", "severity": "critical", "job": "api"}
    assert ev.muting_rule(t, {"severity": "warning", "job": "api"}, [crit_api]) == 0
    assert ev.muting_rule(t, {"severity": "warning", "job": "db"}, [crit_api]) is None
    assert ev.muting_rule(t, {"severity": "warning"}, [{"severity": "critical"}]) == 0  # both lack job: equal
    assert ev.muting_rule(t, {"severity": "critical", "job": "api"}, [crit_api]) is None
    assert ev.muting_rule(t, {"team": "db", "severity": "info"}, [{"alertname": "Maintenance"}]) == 1
    # An alert matching both sides is not muted by another that also matches both sides.
    assert ev.muting_rule(t, {"tier": "x", "n": "1"}, [{"tier": "x", "n": "2"}]) is None


def test_from_spec_equals_the_rendered_config():
    loaded = load(SPEC)
    rendered = ev.from_config(YAML(typ="safe").load(render(loaded)["alertmanager.yml"]))
    assert routing_tree.from_spec(loaded.spec) == rendered


# --- agreement with amtool ----------------------------------------------------------------


def _label_sets(spec) -> list[dict[str, str]]:
    """Every combination of the label values the spec's routes and alerts mention, plus none."""
    values: dict[str, set[str]] = {"severity": {"critical", "warning", "info"}, "team": {"web: {core}", "backend"}}
    for a in spec.alerts:
        values.setdefault("alertname", set()).add(a.name)
    keys = sorted(values)
    out = [{}]
    for key in keys:
        out = [{**o, key: v} for o in out for v in sorted(values[key])] + out
    return out[:: max(1, len(out) // 60)]  # at most ~60 amtool runs per spec


@pytest.mark.parametrize("spec_path", VALID, ids=lambda p: p.stem)
def test_evaluator_agrees_with_amtool(spec_path, tmp_path, amtool):
    loaded = load(spec_path)
    text = render(loaded)["alertmanager.yml"]
    (tmp_path / "alertmanager.yml").write_text(text, encoding="utf-8")
    t = ev.from_config(YAML(typ="safe").load(text))
    sets = _label_sets(loaded.spec)
    assert len(sets) >= 10
    for labels in sets:
        args = [f'{k}="{v}"' for k, v in labels.items()] or ['nolabel=""']
        got = subprocess.run(
            [amtool, "config", "routes", "test", "--config.file=alertmanager.yml", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=30,
        )
        assert got.returncode == 0, got.stderr
        assert got.stdout.strip() == ",".join(ev.receivers(t, labels)), labels

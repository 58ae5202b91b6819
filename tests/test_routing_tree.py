"""The routing tree as Alertmanager has it: nested routes, inherited receivers and options,
`matchers` lines, `continue`. sfmon's evaluator (sfmon.semantics.routing) must send every
alert where amtool sends it: each spec's route tests and label sets generated from the
tree's own matchers are run through the real amtool, and compared."""

from __future__ import annotations

import random
import subprocess

import pytest
from ruamel.yaml import YAML

from sfmon.derive import routing_tree
from sfmon.pipeline import load, render
from sfmon.semantics import routing as ev
from sfmon.semantics.quoting import alertmanager_string

from conftest import FIXTURES

pytestmark = pytest.mark.matrix  # amtool's routing, once per toolset

SIMPLE = FIXTURES / "specs" / "valid" / "am-simple-example.yaml"
NESTED = FIXTURES / "specs" / "valid" / "am-nested.yaml"
TREES = [SIMPLE, NESTED]


def _rendered_tree(path, tmp_path):
    loaded = load(path)
    text = render(loaded)["alertmanager.yml"]
    (tmp_path / "alertmanager.yml").write_text(text, encoding="utf-8")
    return loaded, ev.from_config(YAML(typ="safe").load(text))


def _amtool_routes(amtool: str, cwd, labels: dict[str, str], verify: list[str] | None = None) -> subprocess.CompletedProcess:
    args = [f"{k}={alertmanager_string(v)}" for k, v in sorted(labels.items())] or ['nolabel=""']
    if verify is not None:
        args.insert(0, "--verify.receivers=" + ",".join(verify))
    return subprocess.run(
        [amtool, "config", "routes", "test", "--config.file=alertmanager.yml", *args],
        cwd=cwd, capture_output=True, text=True, timeout=30,
    )


def _candidates(tree: ev.Tree) -> dict[str, list[str]]:
    """Per label the tree matches on: each value a matcher names, a value each regex
    alternative accepts and one it refuses, and one no matcher names."""
    values: dict[str, set[str]] = {}
    stack = [tree.root]
    while stack:
        node = stack.pop()
        stack.extend(node.routes)
        for m in node.matchers:
            got = values.setdefault(m.name, {"zz-other"})
            if m.op in ("=", "!="):
                got.add(m.value)
            else:
                for alt in m.value.split("|"):
                    literal = alt.replace(".*", "").replace("(", "").replace(")", "")
                    got |= {literal, literal + "x"}
    return {k: sorted(v) for k, v in sorted(values.items())}


def _label_sets(tree: ev.Tree, count: int, seed: int) -> list[dict[str, str]]:
    """`count` label sets, each label absent or one of its candidates; fixed by `seed`."""
    rng = random.Random(seed)
    candidates = _candidates(tree)
    out: list[dict[str, str]] = [{}]
    for _ in range(count * 20):  # bounded: stop at `count` distinct sets
        if len(out) == count:
            break
        labels = {k: rng.choice(v) for k, v in candidates.items() if rng.random() < 0.8}
        if labels not in out:
            out.append(labels)
    return out


@pytest.mark.parametrize("path", TREES, ids=lambda p: p.stem)
def test_route_tests_pass_in_sfmon_and_amtool(path, tmp_path, amtool):
    loaded, tree = _rendered_tree(path, tmp_path)
    cases = loaded.derived.route_cases
    assert len(cases) == len(loaded.spec.routing.tests) >= 6
    for case in cases:
        ours = ev.receivers(tree, case.labels)
        assert set(ours) == set(case.receivers), case.name
        got = _amtool_routes(amtool, tmp_path, case.labels, verify=ours)
        assert got.returncode == 0, (case.name, got.stdout, got.stderr)


@pytest.mark.parametrize("path", TREES, ids=lambda p: p.stem)
def test_generated_label_sets_route_as_amtool_routes_them(path, tmp_path, amtool):
    _, tree = _rendered_tree(path, tmp_path)
    sets = _label_sets(tree, 40, seed=12)
    assert len(sets) >= 20
    reached = set()
    for labels in sets:
        got = _amtool_routes(amtool, tmp_path, labels)
        assert got.returncode == 0, got.stderr
        ours = ev.receivers(tree, labels)
        assert got.stdout.strip() == ",".join(ours), labels
        reached |= set(ours)
    assert len(reached) >= 4, "the generated label sets should exercise most of the tree"


def test_simple_example_tree_is_upstreams():
    """The spec reproduces doc/examples/simple.yml's tree: shape, receivers, matchers,
    continue, group_by, and the inhibit rule (as amtool would print them)."""
    tree = routing_tree.from_spec(load(SIMPLE).spec)

    def shape(route: ev.Route):
        return (route.receiver, sorted(str(m) for m in route.matchers), route.continue_, [shape(c) for c in route.routes])

    assert shape(tree.root) == (
        "team-X-mails", [], False, [
            ("team-X-mails", ['service=~"foo1|foo2|baz"'], False, [("team-X-pager", ['severity="critical"'], False, [])]),
            ("team-Y-mails", ['service="files"'], False, [("team-Y-pager", ['severity="critical"'], False, [])]),
            ("team-DB-pager", ['service="database"'], False, [
                ("team-X-pager", ['owner="team-X"'], True, []),
                ("team-Y-pager", ['owner="team-Y"'], False, []),
            ]),
        ],
    )
    db = tree.root.routes[2]
    assert tree.root.group_by == ("alertname", "cluster", "service") and tree.root.repeat_interval_ms == 3 * 3_600_000
    # the database branch's group_by is inherited by its children, as upstream's comment says
    assert db.group_by == db.routes[0].group_by == ("alertname", "cluster", "database")
    assert tree.root.routes[0].routes[0].group_by == tree.root.group_by
    (rule,) = tree.inhibit_rules
    assert [str(m) for m in rule.source] == ['severity="critical"'] and rule.equal == ("alertname", "cluster", "service")


def test_children_inherit_receiver_and_options():
    tree = routing_tree.from_spec(load(NESTED).spec)
    web = tree.root.routes[1]
    pager = web.routes[0]
    inherited = pager.routes[2]  # `instance!=""`: no notify, no options of its own
    assert (inherited.receiver, inherited.group_by, inherited.repeat_interval_ms) == ("web-pager", ("alertname", "instance"), 3_600_000)
    assert tree.root.group_by_all and tree.root.routes[2].group_by_all and not web.group_by_all
    assert tree.root.routes[0].group_wait_ms == 0 and web.group_wait_ms == 30_000


@pytest.mark.parametrize("path", TREES, ids=lambda p: p.stem)
def test_from_spec_equals_the_rendered_config(path, tmp_path):
    loaded, rendered = _rendered_tree(path, tmp_path)
    assert routing_tree.from_spec(loaded.spec) == rendered


def test_every_alert_check_walks_the_nested_tree(tmp_path):
    """An alert that a child route, three levels down, sends only to a receiver with no
    integration is an error placed at the alert; the receivers only deep routes name count as used."""
    from sfmon.pipeline import load_and_check

    text = SIMPLE.read_text(encoding="utf-8")
    text = text.replace("  - {name: team-DB-pager,", "  - {name: blackhole}\n  - {name: team-DB-pager,")
    text = text.replace(
        "        - matchers: ['owner=\"team-Y\"']\n          notify: [team-Y-pager]\n",
        "        - matchers: ['owner=\"team-Y\"']\n          notify: [team-Y-pager]\n"
        "        - matchers: ['owner!=\"\"']\n          routes:\n            - {matchers: ['severity=~\"crit.*\"'], notify: [blackhole]}\n",
    )
    text = text.replace("labels: {service: database, cluster: eu1, owner: team-X}", "labels: {service: database, cluster: eu1, owner: team-Z}")
    text = text.replace("{alert: DatabaseDown, receivers: [team-X-pager]}", "{alert: DatabaseDown, receivers: [blackhole]}")
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = load_and_check(path)
    errors = [(p.check, p.line, p.message) for p in problems if p.check in ("routing/alerts", "routing/tests")]
    assert len(errors) == 1, errors
    check, line, message = errors[0]
    assert check == "routing/alerts" and text.splitlines()[line - 1].lstrip().startswith("- {name: DatabaseDown")
    assert "alert DatabaseDown" in message and "it goes to blackhole, which has no integration" in message


# Lines the invalid corpus refuses (route_matcher_*.yaml, inhibit_matcher_unparsable.yaml).
REFUSED_LINES = ["severity critical", '{team="web", service=~"(api"}', 'team="we"b"', 'alertname=~"a|b', "=x"]


@pytest.mark.parametrize("line", REFUSED_LINES)
def test_matcher_lines_sfmon_refuses_amtool_refuses(line, tmp_path, amtool):
    from sfmon.semantics.matchers import MatcherError, parse
    from sfmon.semantics.quoting import yaml_string

    with pytest.raises(MatcherError):
        parse(line)
    (tmp_path / "alertmanager.yml").write_text(
        f"route:\n  receiver: r\n  routes:\n    - matchers: [{yaml_string(line)}]\nreceivers: [{{name: r}}]\n", encoding="utf-8"
    )
    got = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert got.returncode != 0, got.stdout


def test_routes_on_external_labels_are_predicted_with_them(tmp_path, amtool):
    """Prometheus adds its external labels to every alert it sends (notifier.go), so a route
    matching one catches the alert at Alertmanager although no rule writes it; sfmon's
    route cases carry them, and amtool agrees on the rendered config."""
    from sfmon.pipeline import load_and_check

    text = (FIXTURES.parent.parent / "specs" / "specs.yaml").read_text(encoding="utf-8")
    prod = "    - {match: {cluster: softfactory-prod, alertname: HighResponseTime}, notify: [ops-email]}\n"
    text = text.replace("  routes:\n    - {match: {severity: critical}", "  routes:\n" + prod + "    - {match: {severity: critical}", 1)
    text = text.replace("{alert: HighResponseTime, receivers: [ops-slack, ops-email, ops-webhook]}", "{alert: HighResponseTime, receivers: [ops-email]}")
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    loaded, problems = load_and_check(path)
    assert not [p for p in problems if p.check.startswith("routing/")], problems
    case = next(c for c in loaded.derived.route_cases if c.name == "HighResponseTime")
    assert case.labels["cluster"] == "softfactory-prod" and case.receivers == ("ops-email",)
    (tmp_path / "alertmanager.yml").write_text(render(loaded)["alertmanager.yml"], encoding="utf-8")
    got = _amtool_routes(amtool, tmp_path, case.labels, verify=["ops-email"])
    assert got.returncode == 0, (got.stdout, got.stderr)

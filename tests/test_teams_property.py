"""Property: splitting any valid spec (tests/spec_strategies.py) into a root and team files,
and rendering it as an environment with an empty overlay, changes no byte of any rendered
file. Team files and environments are a way of writing the same spec, not a second renderer."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from spec_strategies import specs
from test_properties import dump

EXAMPLES = int(os.environ.get("SFMON_HYPOTHESIS_EXAMPLES", 15))
SECTIONS = ("targets", "alerts", "recording_rules", "receivers", "dashboards")


def split(data: dict) -> tuple[dict, dict, dict]:
    """(root, team a, team b): each list's first third stays in the root, the rest in order
    across the two team files (merged in sorted path order, so the order is kept)."""
    root, a, b = dict(data), {}, {}
    for section in SECTIONS:
        items = data.get(section) or []
        if section == "receivers":  # the root's routes may notify any receiver; shared changes no output
            items = [dict(r, shared=True) for r in items]
        k, m = len(items) // 3, 2 * len(items) // 3
        root.pop(section, None)
        if items[:k]:
            root[section] = items[:k]
        if items[k:m]:
            a[section] = items[k:m]
        if items[m:]:
            b[section] = items[m:]
    root["include"] = ["teams/*.yaml"]
    return root, a, b


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=tuple(p for p in Phase if p is not Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)
@given(data=specs())
def test_team_files_and_an_empty_environment_render_the_same_bytes(data):
    from sfmon.pipeline import load_and_check, load_environments_file, render
    from sfmon.problems import has_errors

    with tempfile.TemporaryDirectory(prefix="sfmon-teams-") as tmp:
        d = Path(tmp)
        (d / "whole.yaml").write_text(dump(data), encoding="utf-8")
        loaded, problems = load_and_check(d / "whole.yaml")
        assert loaded is not None and not has_errors(problems), "\n".join(map(str, problems))
        expected = render(loaded)

        root, a, b = split(data)
        root["environments"] = {"only": {}}
        (d / "teams").mkdir()
        (d / "environments").mkdir()
        (d / "environments" / "only.yaml").write_text("# nothing changes\n", encoding="utf-8")
        (d / "split.yaml").write_text(dump(root), encoding="utf-8")
        for name, part in (("a.yaml", a), ("b.yaml", b)):
            (d / "teams" / name).write_text(dump(part) if part else "# empty\n", encoding="utf-8")
        envs, problems, _ = load_environments_file(d / "split.yaml")
        assert envs is not None and not has_errors(problems), "\n".join(map(str, problems))
        assert list(envs) == ["only"]
        assert render(envs["only"]) == expected

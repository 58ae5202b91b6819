"""The pre-commit hooks and the CI example in docs/ci.md call commands and options sfmon has."""

from __future__ import annotations

import re
import shlex

import pytest
from ruamel.yaml import YAML

from conftest import ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI_DOC = ROOT / "docs" / "ci.md"


def load(text: str):
    return YAML(typ="safe").load(text)


def fenced_yaml(markdown: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", markdown, re.S | re.M)


def sfmon_commands(script: str) -> list[list[str]]:
    """Argument lists of every `sfmon ...` command in a shell script (up to a redirect or pipe)."""
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script).replace("\\\n", " ")
    found = []
    for line in script.splitlines():
        for part in re.split(r"&&|\|\||;", line):
            tokens = shlex.split(part, comments=True)
            if "sfmon" not in tokens:
                continue
            args = tokens[tokens.index("sfmon") + 1 :]
            cut = next((i for i, t in enumerate(args) if t in (">", ">>", "|", "2>", "<")), len(args))
            found.append(args[:cut])
    return found


def assert_cli_accepts(args: list[str]) -> None:
    """Parse `sfmon ARGS` with the real CLI definition: unknown commands or options fail."""
    import typer

    from sfmon.cli.app import app

    name, *rest = args
    command = typer.main.get_command(app).commands.get(name)
    assert command is not None, f"sfmon has no command {name!r}"
    command.make_context(name, rest)  # raises on an unknown option or a bad value


def test_pre_commit_hooks():
    hooks = {h["id"]: h for h in load(HOOKS.read_text(encoding="utf-8"))}
    assert set(hooks) == {"sfmon-generate-check", "sfmon-validate"}
    assert hooks["sfmon-generate-check"]["entry"] == "sfmon generate --check"
    assert hooks["sfmon-validate"]["entry"] == "sfmon validate"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        files = re.compile(hook["files"])
        assert files.search("specs/specs.yaml") and files.search("templates/alerts.yml.j2")
        assert not files.search("README.md") and not files.search("docs/specs/x.md")
        [args] = sfmon_commands(hook["entry"])
        assert_cli_accepts(args)


def test_ci_doc_pre_commit_config_uses_the_hooks():
    blocks = [load(b) for b in fenced_yaml(CI_DOC.read_text(encoding="utf-8"))]
    configs = [b for b in blocks if isinstance(b, dict) and "repos" in b]
    assert len(configs) == 1
    ids = {h["id"] for repo in configs[0]["repos"] for h in repo["hooks"]}
    assert ids == {h["id"] for h in load(HOOKS.read_text(encoding="utf-8"))}


def _workflow() -> dict:
    blocks = [load(b) for b in fenced_yaml(CI_DOC.read_text(encoding="utf-8"))]
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    assert len(workflows) == 1, "docs/ci.md should hold exactly one workflow"
    return workflows[0]


def test_ci_workflow_gates_and_comments():
    workflow = _workflow()
    assert "pull_request" in workflow[True if True in workflow else "on"]  # YAML 1.1 reads `on` as true
    [job] = workflow["jobs"].values()
    steps = job["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert re.search(r"apt-get install [^\n]*\bprometheus prometheus-alertmanager\b", scripts)
    assert re.search(r"pip install [^\n]*sfmon", scripts)
    commands = sfmon_commands(scripts)
    assert commands[:2] == [["generate", "--check", "--format", "github"], ["validate", "--format", "github"]]
    assert ["diff", "--base", "origin/${BASE_REF}"] in commands
    assert "gh pr comment" in scripts and "--body-file sfmon-diff.md" in scripts
    assert job["permissions"]["pull-requests"] == "write"
    for args in commands:
        assert_cli_accepts(args)


@pytest.mark.parametrize(
    "args",
    [["nope"], ["generate", "--chek"], ["diff", "--bsae", "x"], ["validate", "--format", "sarif"]],
)
def test_the_parser_check_rejects_what_sfmon_rejects(args):
    with pytest.raises(Exception) as info:
        assert_cli_accepts(args)
    assert type(info.value).__name__ in ("UsageError", "NoSuchOption", "BadParameter", "AssertionError")

"""The CLI stays thin and its parts independent: each command is one module registered in
app.COMMANDS, imports no other command and no module's private names; check ids are the
check modules' names, all of them registered."""

from __future__ import annotations

import ast
from pathlib import Path

import typer

from sfmon import checks
from sfmon.cli import app as cli_app

from conftest import ROOT

CLI = ROOT / "sfmon" / "cli"
COMMANDS = {m.__name__.rpartition(".")[2] for m in cli_app.COMMANDS}
SHARED = {"__init__", "app", "options", "output"}


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every import in `path`; name is None for `import module`."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(node.module or "", a.name) for a in node.names]
    return found


def test_every_cli_module_is_shared_or_a_registered_command():
    modules = {p.stem for p in CLI.glob("*.py")}
    assert modules == SHARED | COMMANDS
    registered = set(typer.main.get_command(cli_app.app).commands)
    assert registered == COMMANDS == {"generate", "validate", "diff", "schema", "health", "silences"}


def test_commands_import_no_other_command_and_no_private_name():
    for name in COMMANDS:
        for module, imported in imports(CLI / f"{name}.py"):
            target = f"{module}.{imported}" if imported else module
            parts = target.split(".")
            assert not any(private(p) for p in parts), f"{name}.py imports {target}"
            if parts[:2] == ["sfmon", "cli"] and len(parts) > 2:
                assert parts[2] in SHARED - {"app"}, f"{name}.py imports the command or app module {target}"


def test_commands_reach_no_private_attribute_of_another_module():
    for name in COMMANDS:
        tree = ast.parse((CLI / f"{name}.py").read_text(encoding="utf-8"))
        bound = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
                assert not private(node.attr), f"{name}.py uses {node.value.id}.{node.attr}"


def test_no_sfmon_module_imports_a_private_name():
    for path in (ROOT / "sfmon").rglob("*.py"):
        for module, imported in imports(path):
            if module.startswith("sfmon") and imported:
                assert not private(imported), f"{path.relative_to(ROOT)} imports {module}.{imported}"


def test_check_ids_are_the_module_names_and_every_check_module_is_registered():
    modules = {p.stem for p in (ROOT / "sfmon" / "checks").glob("*.py")} - {"__init__"}
    assert set(checks.CHECKS) == modules
    assert checks.check_id("sfmon.checks.routing_receivers") == "routing/receivers"
    assert checks.check_id("sfmon.checks.promtool_web_config") == "promtool/web-config"
    ids = checks.ids()
    assert len(set(ids)) == len(ids) and all(i.count("/") == 1 for i in ids)

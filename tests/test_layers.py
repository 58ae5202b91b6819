"""The layering is enforced: import-linter runs the contract in pyproject.toml
([tool.importlinter]), and no sfmon module reaches into another one's `_private` names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "sfmon"

# Known reaches into another module's private names, each to be removed by its owner.
# (importer, "module.name"): why it is still here.
KNOWN_PRIVATE: dict[tuple[str, str], str] = {}  # (importer, private name) -> why it is allowed


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """import-linter on the `sfmon` package under `project`, a fresh process so that the
    package it analyses is the one there (lint_imports puts its cwd first on sys.path)."""
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120)


def test_layers_contract_is_kept():
    res = lint_imports(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "sfmon layers KEPT" in res.stdout


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "sfmon", ignore=shutil.ignore_patterns("__pycache__", "schemas"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_contract_breaks_on_an_upward_lazy_import(project_copy):
    """A lower layer importing a higher one inside a function (as lazy imports do) is caught."""
    units = project_copy / "sfmon" / "semantics" / "units.py"
    units.write_text(units.read_text() + "\n\ndef _upward():\n    from sfmon.render import files  # noqa\n")
    res = lint_imports(project_copy)
    assert res.returncode == 1, res.stdout
    assert "sfmon layers BROKEN" in res.stdout
    assert "sfmon.semantics.units -> sfmon.render.files" in res.stdout


def test_contract_breaks_on_a_module_without_a_layer(project_copy):
    (project_copy / "sfmon" / "stray.py").write_text('"""Not placed in the contract."""\n')
    res = lint_imports(project_copy)
    assert res.returncode == 1, res.stdout
    assert "sfmon.stray" in res.stdout


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(source: str, importer: str, is_package: bool = False) -> list[str]:
    """`module.name` for every private name of another sfmon module that `source` imports
    (`from sfmon.x import _y`, relative imports too) or reads as an attribute of an imported
    sfmon module (`x._y`, `sfmon.x._y`)."""
    tree = ast.parse(source)
    package = importer if is_package else importer.rpartition(".")[0]
    modules: dict[str, str] = {}  # local name -> the sfmon module it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base != "sfmon" and not base.startswith("sfmon."):
                continue
            for alias in node.names:
                if is_module(f"{base}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{base}.{alias.name}"
                elif private(alias.name) and base != importer:
                    found.append(f"{base}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sfmon" or alias.name.startswith("sfmon."):
                    if alias.asname:
                        modules[alias.asname] = alias.name
                    else:
                        modules["sfmon"] = "sfmon"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain = []
        inner: ast.expr = node
        while isinstance(inner, ast.Attribute):
            chain.append(inner.attr)
            inner = inner.value
        if not isinstance(inner, ast.Name) or inner.id not in modules:
            continue
        dotted = modules[inner.id]
        for attr in reversed(chain):
            if is_module(f"{dotted}.{attr}"):
                dotted = f"{dotted}.{attr}"
                continue
            if private(attr) and dotted != importer:
                found.append(f"{dotted}.{attr}")
            break
    return sorted(set(found))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from sfmon.spec.loader import _place, load", ["sfmon.spec.loader._place"]),
        ("from ..spec.loader import _place", ["sfmon.spec.loader._place"]),
        ("from . import _helper", ["sfmon.semantics._helper"]),
        ("from sfmon.spec import loader\nloader._place(1)", ["sfmon.spec.loader._place"]),
        ("import sfmon.spec.loader as L\nL._place", ["sfmon.spec.loader._place"]),
        ("import sfmon.spec.loader\nsfmon.spec.loader._place", ["sfmon.spec.loader._place"]),
        ("def f():\n    from sfmon.spec import loader as l\n    return l._place", ["sfmon.spec.loader._place"]),
        ("from sfmon.spec.loader import load, __doc__\nimport re\nre._parser", []),
        ("from sfmon.spec import loader\nloader.__name__, loader.load", []),
        ("def _own(): pass\n_own()", []),
    ],
)
def test_private_reach_detector(code, expected):
    assert private_reaches(code, "sfmon.semantics.units") == expected


def test_no_module_imports_another_modules_private_names():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for target in private_reaches(path.read_text(encoding="utf-8"), importer, path.name == "__init__.py"):
            found[(importer, target)] = path.relative_to(ROOT)
    unexpected = {k: v for k, v in found.items() if k not in KNOWN_PRIVATE}
    assert not unexpected, "\n".join(f"{path}: imports {target}" for (_, target), path in unexpected.items())
    assert not set(KNOWN_PRIVATE) - set(found), f"fixed, remove from KNOWN_PRIVATE: {set(KNOWN_PRIVATE) - set(found)}"


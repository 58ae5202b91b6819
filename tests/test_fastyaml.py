"""The rapidyaml fast path returns exactly what ruamel's safe loader returns, or steps aside."""

from __future__ import annotations

import os
import random

import pytest
from ruamel.yaml import YAML

from sfmon.spec import fastyaml
from sfmon.spec.loader import parse_yaml
from sfmon.problems import SpecError

from conftest import FIXTURES, SPEC

# rapidyaml is a dependency: in CI (CI set) its absence fails these tests instead of skipping them.
pytestmark = pytest.mark.skipif(not fastyaml.available() and not os.environ.get("CI"), reason="rapidyaml not installed")

# Scalars and layouts where YAML parsers are known to differ; each must either take the
# fast path and agree with ruamel, or fall back.
CASES = [
    "a: yes\nb: true\nc: 1.5\nd: 0x1F\ne: ~\nf: '5'\ng: 5m\nh: [1, x]\nj: .inf\nk: 1e3\nl: 07\nm: null\nn:\n",
    "a: 0b101\nb: 1.0e+3\nc: .NaN\nd: -.inf\ne: 0o777\nf: +12\ng: 1:20\nh: 1_000\ni: -0\nj: 2001-12-14\n",
    "a: TRUE\nb: On\nc: off\nd: Yes\ne: True\nf: NULL\n",
    "true: 1\nnull: 2\n3: c\n'quoted key': v\nkey with spaces: v\n",
    'a: "\\x41\\u00e9\\U0001F525\\N\\_\\L\\e\\/\\0\\t"\nb: \'it\'\'s\'\n',
    'a: "x\\\n  y"\nb: "line1\n\n  line2"\nc: \'one\n  two\n\n  three\'\n',
    "a: |\n  x\n  y\nb: |-\n  strip\n\nc: |+\n  keep\n\nd: |2\n   indented\n",
    "a: plain\n  continued\nb: x# not a comment\nc: x #comment\n",
    "a: {b: 1,}\nc: [1,2,]\nd: {}\ne: []\nf: {x: }\n",
    "a: émoji 🔥\nb: \"\\ud83d\"\n",
    "a: x\u2028y\n",
    "a: x\x85y\n",
    "a: 1\na: 2\n",
    "{a: 1, a: 2}\n",
    "a: !!str 3\n",
    "a: &x {b: 1}\nc: *x\n",
    "<<: {a: 1}\n",
    "---\na: 1\n",
    "---\na: 1\n---\nb: 2\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: >\n  folded\n  text\n",
    "a: {b: c:d}\n",
    "a: @x\n",
    "- {?itle: x}\n",
    "[a, b]: 1\n",
    "a:\n\tb: 1\n",
    "a: 1\r\nb: 2\r\n",
    "- a\n- b\n",
    "just text\n",
    "# only a comment\n",
]


def _ruamel(text: str):
    try:
        return ("ok", YAML(typ="safe").load(text))
    except Exception as exc:  # noqa: BLE001 - any refusal counts
        return ("error", type(exc).__name__)


def _agrees(text: str) -> bool:
    fast = fastyaml.load(text)
    if fast is None:
        return True
    status, value = _ruamel(text)
    return status == "ok" and value == fast and repr(value) == repr(fast)


@pytest.mark.parametrize("text", CASES)
def test_fast_path_agrees_with_ruamel_or_steps_aside(text):
    assert _agrees(text)


@pytest.mark.parametrize(
    "text",
    ["a: 1\na: 2\n", "a: !!str 3\n", "a: &x 1\nb: *x\n", "---\na: 1\n---\nb: 2\n", "a: >\n  x\n", "a: {b: c:d}\n", "- {?itle: x}\n"],
)
def test_unusual_documents_are_left_to_ruamel(text):
    assert fastyaml.load(text) is None


@pytest.mark.parametrize("path", [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))], ids=lambda p: p.name)
def test_shipped_specs_take_the_fast_path_with_identical_data(path):
    text = path.read_text(encoding="utf-8")
    fast = fastyaml.load(text)
    assert fast is not None
    assert fast == YAML(typ="safe").load(text)


def test_mutated_specs_agree():
    """Random edits of real specs (indicators, quotes, tabs, deletions): never a different reading."""
    rng = random.Random(6)
    bases = [SPEC.read_text(encoding="utf-8"), (FIXTURES / "specs" / "valid" / "full.yaml").read_text(encoding="utf-8")]
    pieces = list(":-#{}[],'\"|>&*!?%@` \t\n\\x0.") + ["\n  ", ": ", "- ", "\\n", "''", "~", "null", "1e3", "yes"]
    taken = 0
    for _ in range(800):
        lines = rng.choice(bases).splitlines(keepends=True)
        start = rng.randrange(len(lines))
        text = "".join(lines[start : start + rng.randint(1, 25)])
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(text) + 1)
            cut = rng.random() < 0.4
            text = text[:pos] + ("" if cut else rng.choice(pieces)) + text[pos + (1 if cut else 0) :]
        assert _agrees(text), repr(text)
        taken += fastyaml.load(text) is not None
    assert taken > 50  # the fast path is really exercised


def test_syntax_errors_are_ruamels_and_nothing_leaks_to_stderr(capfd):
    with pytest.raises(SpecError) as err:
        parse_yaml("spec.yaml", "a: [1, 2\n")
    assert str(err.value.problems[0]).startswith("spec.yaml:2:1: error: YAML syntax error:")
    out, errs = capfd.readouterr()
    assert out == errs == ""


def test_switch_off(monkeypatch):
    monkeypatch.setenv("SFMON_YAML", "ruamel")
    assert fastyaml.load("a: 1\n") is None

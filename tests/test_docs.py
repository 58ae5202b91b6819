"""docs/spec.md is generated from the models; every field is shown in a real spec."""

from sfmon.spec.docgen import missing_examples, render_markdown

from conftest import ROOT


def test_spec_reference_is_current():
    committed = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert committed == render_markdown(ROOT), "docs/spec.md is out of date with the models: run `make docs`"


def test_every_field_is_used_by_some_spec():
    assert missing_examples(ROOT) == [], (
        "these fields appear in no spec: use them in tests/fixtures/specs/valid/full.yaml (or the default spec)"
    )


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run:", "test:", "generate:", "validate:", "update-snapshots:"):
        assert f"\n{target}" in makefile
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci

"""Every output file of every valid fixture spec is pinned as a real .yml/.json snapshot.

The default spec's output is pinned by the committed generated/ (tests/test_generated.py).
Update after an intended change: `make update-snapshots`, then review the diff.
"""

from pathlib import Path

import pytest

from sfmon.pipeline import load, render

from conftest import FIXTURES, snapshot_extension

VALID = sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))


def _cases() -> list[tuple[Path, str]]:
    return [(spec, rel) for spec in VALID for rel in render(load(spec))]


@pytest.mark.parametrize("spec,rel", _cases(), ids=lambda v: v.stem if isinstance(v, Path) else v.replace("/", "_"))
def test_rendered_file_matches_snapshot(spec, rel, snapshot):
    text = render(load(spec))[rel]
    assert text == snapshot(extension_class=snapshot_extension(rel))


def test_render_is_byte_stable():
    for spec in VALID:
        assert render(load(spec)) == render(load(spec))

"""Owned output: stale files sfmon wrote are pruned, the user's files are kept, writes are atomic."""

import os

import pytest

from sfmon.write import writer

from conftest import tree_hash


def test_write_prunes_owned_and_keeps_user_files(tmp_path):
    out = tmp_path / "gen"
    writer.write(out, {"a.yml": "a\n", "sub/b.json": "{}\n"})
    (out / "mine.txt").write_text("user file")
    (out / "sub" / "notes.md").write_text("also mine")
    assert writer.owned(out) == {"a.yml", "sub/b.json"}
    changes = writer.write(out, {"a.yml": "a2\n"})
    assert (changes.added, changes.changed, changes.removed) == ([], ["a.yml", ".sfmon-manifest"], ["sub/b.json"])
    assert not (out / "sub" / "b.json").exists()
    assert (out / "mine.txt").read_text() == "user file"
    assert (out / "sub" / "notes.md").read_text() == "also mine"
    assert (out / "a.yml").read_text() == "a2\n"


def test_unchanged_files_keep_their_inode(tmp_path):
    out = tmp_path / "gen"
    writer.write(out, {"a.yml": "a\n", "b.yml": "b\n"})
    inode = os.stat(out / "a.yml").st_ino
    writer.write(out, {"a.yml": "a\n", "b.yml": "b2\n"})
    assert os.stat(out / "a.yml").st_ino == inode


def test_no_change_writes_nothing(tmp_path):
    out = tmp_path / "gen"
    writer.write(out, {"a.yml": "a\n"})
    mtime = os.stat(out / "a.yml").st_mtime_ns
    assert not writer.write(out, {"a.yml": "a\n"})
    assert os.stat(out / "a.yml").st_mtime_ns == mtime


@pytest.mark.parametrize("step", ["staging-created", "user-files-linked", "wrote:a.yml", "before-swap"])
def test_failure_before_swap_leaves_previous_tree(tmp_path, step):
    out = tmp_path / "gen"
    writer.write(out, {"a.yml": "old\n", "b.yml": "old\n"})
    (out / "mine.txt").write_text("keep")
    before = tree_hash(out)

    def crash(name):
        if name == step:
            raise OSError("disk full (simulated)")

    with pytest.raises(OSError):
        writer.write(out, {"a.yml": "new\n"}, hook=crash)
    assert tree_hash(out) == before
    assert not list(tmp_path.glob(".sfmon-staging-*"))


def test_check_diff_names_files(tmp_path):
    out = tmp_path / "gen"
    writer.write(out, {"a.yml": "x: 1\n", "gone.yml": "g\n"})
    files = writer.with_manifest({"a.yml": "x: 2\n", "new.yml": "n\n"})
    changes = writer.compare(out, files)
    diff = writer.unified_diff(out, files, changes)
    assert "-x: 1\n+x: 2\n" in diff
    assert "+++ b/gen/new.yml" in diff and "--- a/gen/gone.yml" in diff

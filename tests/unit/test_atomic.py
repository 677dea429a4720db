"""runner.atomic: files appear whole or not at all, text and bytes alike."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.atomic import atomic_write_bytes


def test_bytes_replace_the_file_and_leave_no_temp(tmp_path: Path) -> None:
    """atomic_write_bytes replaces the old content; only the target is left, readable."""
    target = tmp_path / "part-1.zip"
    target.write_bytes(b"old")
    assert atomic_write_bytes(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["part-1.zip"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_failed_rename_keeps_the_old_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename fails, the old file stays and the temp file is removed."""
    target = tmp_path / "plan.json"
    target.write_bytes(b"old")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]

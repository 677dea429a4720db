"""runner.atomic for bytes (bulk write parts); its failure path is in test_report.py."""

from __future__ import annotations

from pathlib import Path

from runner.atomic import atomic_write_bytes


def test_bytes_replace_the_file_and_leave_no_temp(tmp_path: Path) -> None:
    """atomic_write_bytes replaces the old content; only the target is left, readable."""
    target = tmp_path / "part-1.zip"
    target.write_bytes(b"old")
    assert atomic_write_bytes(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["part-1.zip"]
    assert target.stat().st_mode & 0o777 == 0o644

"""Bulk write CSV parts: cut by rows at record boundaries, then by zipped size."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

from runner.plan import csvparts


def _write(path: Path, rows: int, width: int = 1) -> Path:
    body = "".join(f"name{i},{'x' * width}\n" for i in range(rows))
    path.write_text("Last_Name,Note\n" + body, encoding="utf-8")
    return path


def test_split_at_25000_rows(tmp_path: Path) -> None:
    """25,000 rows stay one part; 25,001 make two (API_NOTES §4.2)."""
    one = csvparts.layout(_write(tmp_path / "a.csv", 25_000))
    two = csvparts.layout(_write(tmp_path / "b.csv", 25_001))
    assert [p.rows for p in one.parts] == [25_000]
    assert [(p.index, p.first, p.rows) for p in two.parts] == [(1, 0, 25_000), (2, 25_000, 1)]
    assert two.header == ("Last_Name", "Note")
    assert two.rows == 25_001


def test_quoted_newlines_stay_in_their_record(tmp_path: Path) -> None:
    """A record spanning lines counts once, and each part's text keeps the header."""
    path = tmp_path / "q.csv"
    path.write_text('Last_Name,Note\na,"line 1\nline 2"\nb,plain\n\nc,"x\n\ny"\n', encoding="utf-8")
    lay = csvparts.layout(path, max_rows=2)
    assert lay.rows == 3
    assert [p.rows for p in lay.parts] == [2, 1]
    second = csvparts.part_text(path, lay.parts, 2)
    assert list(csv.reader(io.StringIO(second))) == [["Last_Name", "Note"], ["c", "x\n\ny"]]


def test_split_by_zipped_size(tmp_path: Path) -> None:
    """Parts whose zip would exceed the cap are cut again until each fits."""
    rng = random.Random(7)
    path = tmp_path / "noisy.csv"
    rows = "".join(f"{rng.getrandbits(64):x},{rng.getrandbits(128):x}\n" for _ in range(2_000))
    path.write_text("Last_Name,Note\n" + rows, encoding="utf-8")
    lay = csvparts.layout(path, max_zip=20_000)
    assert len(lay.parts) > 2
    assert all(p.zip_bytes <= 20_000 for p in lay.parts)
    assert sum(p.rows for p in lay.parts) == 2_000
    assert [p.first for p in lay.parts] == [
        sum(q.rows for q in lay.parts[:i]) for i in range(len(lay.parts))
    ]


def test_zip_estimate_is_close_to_a_real_zip(tmp_path: Path) -> None:
    """The size estimate is within 1% (plus a few bytes) of zipfile's real output."""
    path = _write(tmp_path / "z.csv", 3_000, width=30)
    part = csvparts.layout(path).parts[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(path.name, path.read_bytes())
    assert abs(part.zip_bytes - len(buffer.getvalue())) <= len(buffer.getvalue()) // 100 + 64


def test_empty_csv_is_one_empty_part(tmp_path: Path) -> None:
    """A header-only CSV plans a single part of 0 rows rather than none."""
    path = tmp_path / "e.csv"
    path.write_text("Last_Name\n", encoding="utf-8")
    lay = csvparts.layout(path)
    assert (lay.rows, [p.rows for p in lay.parts]) == (0, [0])


def test_header_read_as_validate_reads_it(tmp_path: Path) -> None:
    """A semicolon file's header splits on `;` and its names are trimmed, as validate
    checked them, so mappings by column name find their index at apply time."""
    path = tmp_path / "semi.csv"
    path.write_text("Last_Name; Email\nBoyle;b@z.example\n", encoding="utf-8")
    lay = csvparts.layout(path)
    assert lay.header == ("Last_Name", "Email")
    assert lay.rows == 1


def test_line_separators_inside_a_field_do_not_cut_the_record(tmp_path: Path) -> None:
    """U+2028 and form feeds are text, not line ends: one record stays one record."""
    path = tmp_path / "ls.csv"
    path.write_text("Last_Name,Note\na,one\u2028two\x0cthree\nb,plain\n", encoding="utf-8")
    lay = csvparts.layout(path, max_rows=1)
    assert lay.rows == 2
    first = csvparts.part_text(path, lay.parts, 1)
    assert first == "Last_Name,Note\na,one\u2028two\x0cthree\n"

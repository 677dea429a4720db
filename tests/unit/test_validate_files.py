"""check_files / load_manifests: the model they build, ids files, paths, output formats."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.commands import validate
from runner.errors import ManifestError
from runner.manifest import rules_ids
from runner.manifest.model import BulkReadJob, BulkWriteJob, MassDeleteJob, MassUpdateJob
from runner.manifest.validate import check_files, load_manifests

ROOT = Path(__file__).parents[2]
HEAD = "version: 1\njobs:\n"


def _write(folder: Path, text: str, name: str = "jobs.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_manifest_validates_clean() -> None:
    """jobs.example.yaml has no error; its only warning is the cvid automation note."""
    checked = check_files([ROOT / "jobs.example.yaml"], environ={})
    assert checked.errors == ()
    assert [p.rule for p in checked.warnings] == ["cvid-skips-automation"]
    (manifest,) = checked.manifests
    kinds = {job.kind for job in manifest.jobs}
    assert kinds == {"mass_update", "mass_delete", "bulk_read", "bulk_write"}
    deals = manifest.jobs[0]
    assert isinstance(deals, MassUpdateJob)
    assert deals.ids is not None
    assert len(deals.ids) == 12
    assert deals.values == {"Stage": "Closed Won", "Lead_Source": "Advertisement"}


def test_model_resolves_paths_and_hashes_the_file(tmp_path: Path) -> None:
    """Paths resolve against the manifest's folder; sha256 is of the file's bytes."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ids.csv").write_text("Id,Deal_Name\n554023004000000001,a\n\n2,b\n")
    (tmp_path / "leads.csv").write_text("Last_Name,Email\nBoyle,p@z.example\n")
    path = _write(
        tmp_path,
        HEAD + "  - {name: d, kind: mass_delete, module: Deals, ids_file: data/ids.csv}\n"
        "  - {name: r, kind: bulk_read, module: Leads, output: out/leads.csv, needs: [d]}\n"
        "  - {name: w, kind: bulk_write, module: Leads, operation: upsert, file: leads.csv,"
        " find_by: Email}\n"
        "  - {name: c, kind: mass_delete, module: Leads, cvid: 554023000000091999,"
        " territory: {id: 554023000000430409}}\n",
    )
    (manifest,) = load_manifests([path], environ={}).manifests
    assert manifest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    delete, read, write, cvid = manifest.jobs
    assert isinstance(delete, MassDeleteJob)
    assert delete.ids == ("554023004000000001", "2")
    assert delete.ids_file == (tmp_path / "data" / "ids.csv").resolve()
    assert isinstance(read, BulkReadJob)
    assert read.output == (tmp_path / "out" / "leads.csv").resolve()
    assert read.needs == ("d",)
    assert isinstance(write, BulkWriteJob)
    assert write.file == (tmp_path / "leads.csv").resolve()
    assert isinstance(cvid, MassDeleteJob)
    assert cvid.cvid == "554023000000091999"
    assert cvid.territory is not None
    assert cvid.territory.id == "554023000000430409"
    assert cvid.location is not None
    assert cvid.location.line == 6


def test_ids_file_one_per_line(tmp_path: Path) -> None:
    """A plain ids file (no header) gives one id per non-blank line."""
    (tmp_path / "ids.txt").write_text("554023001000000001\n\n  \n554023001000000002\r\n")
    path = _write(
        tmp_path, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.txt}\n"
    )
    (manifest,) = check_files([path], environ={}).manifests
    assert manifest.jobs[0].ids == ("554023001000000001", "554023001000000002")  # type: ignore[union-attr]


def test_spaces_around_an_id_are_refused_in_a_file_as_inline(tmp_path: Path) -> None:
    """One rule in both places: an id with spaces around it is refused, never stripped."""
    (tmp_path / "ids.txt").write_text("554023001000000001\n  554023001000000002  \n")
    path = _write(
        tmp_path,
        HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.txt}\n"
        '  - {name: e, kind: mass_delete, module: Leads, ids: [" 554023001000000003"]}\n',
    )
    assert [str(p) for p in check_files([path], environ={}).problems] == [
        f"{path}:4:55: jobs[1].ids[0]: ' 554023001000000003' has spaces around the id "
        "(record-id); write the id's digits alone",
        f"{tmp_path / 'ids.txt'}:2:1: jobs[0].ids_file: '  554023001000000002  ' has spaces "
        "around the id (record-id); write the id's digits alone",
    ]


def test_symlink_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    """A symlink inside the folder that points out of it is refused like `..`."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ids.txt").write_text("1\n")
    inside = tmp_path / "repo"
    inside.mkdir()
    (inside / "link").symlink_to(outside)
    path = _write(
        inside, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: link/ids.txt}\n"
    )
    (problem,) = check_files([path], environ={}).problems
    assert str(problem) == (
        f"{path}:3:59: jobs[0].ids_file: link/ids.txt leaves the manifest's folder "
        "(a symlink on it points out) (path-inside); "
        "write a path relative to the manifest's folder, inside it"
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=2**63 - 1), min_size=1, max_size=30, unique=True),
    st.data(),
)
def test_ids_in_any_int_str_mix_normalise_the_same(
    tmp_path_factory: pytest.TempPathFactory, ids: list[int], data: st.DataObject
) -> None:
    """Ids written as integers, strings or a mix give the same exact digit strings."""
    as_str = data.draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
    written = ", ".join(f'"{i}"' if s else str(i) for i, s in zip(ids, as_str, strict=True))
    folder = tmp_path_factory.mktemp("ids")
    path = _write(
        folder, HEAD + f"  - {{name: d, kind: mass_delete, module: Leads, ids: [{written}]}}\n"
    )
    (manifest,) = check_files([path], environ={}).manifests
    assert manifest.jobs[0].ids == tuple(str(i) for i in ids)  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_check_files_never_raises(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    """Whatever the file holds, check_files answers with problems, never an exception."""
    path = _write(tmp_path_factory.mktemp("junk"), text)
    checked = check_files([path], environ={})
    assert checked.manifests == () or checked.errors == ()


def test_names_unique_across_files(tmp_path: Path) -> None:
    """Two files validated together may not reuse a job name."""
    job = HEAD + "  - {name: same, kind: mass_delete, module: Leads, ids: [1]}\n"
    first, second = _write(tmp_path, job, "a.yaml"), _write(tmp_path, job, "b.yaml")
    checked = check_files([first, second], environ={})
    assert [m.path for m in checked.manifests] == [first]
    assert [p.rule for p in checked.errors] == ["unique-names"]
    with pytest.raises(ManifestError) as exc:
        load_manifests([first, second], environ={})
    assert exc.value.problems == checked.errors


def test_each_file_is_its_own_run_with_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--each checks every file alone: two files may reuse a name, each error still counts."""
    job = HEAD + "  - {name: same, kind: mass_delete, module: Leads, ids: [1]}\n"
    first, second = _write(tmp_path, job, "a.yaml"), _write(tmp_path, job, "b.yaml")
    bad = _write(tmp_path, HEAD + "  - {name: same, kind: mass_delete, module: Lead, ids: [1]}\n")
    assert validate.run(files=[first, second], each=True) == 0
    assert capsys.readouterr().err == "2 files valid\n"
    assert validate.run(files=[first, bad, second], each=True) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "1 error in 1 file"


def test_summary_and_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text mode ends with a summary; --format json prints the same problems as objects."""
    good = _write(
        tmp_path, HEAD + "  - {name: a, kind: mass_delete, module: Leads, cvid: '1'}\n", "a.yaml"
    )
    also = _write(
        tmp_path, HEAD + "  - {name: b, kind: mass_delete, module: Leads, ids: [1]}\n", "b.yaml"
    )
    assert validate.run(files=[good, also], format="text") == 0
    assert capsys.readouterr().err.splitlines()[-1] == "2 files valid"
    bad = _write(
        tmp_path, HEAD + "  - {name: c, kind: mass_delete, module: Lead, ids: [x]}\n", "c.yaml"
    )
    assert validate.run(files=[bad], format="json") == 1
    out = json.loads(capsys.readouterr().out)
    assert [(p["line"], p["col"], p["rule"], p["severity"]) for p in out] == [
        (3, 42, "unknown-module", "error"),
        (3, 54, "record-id", "error"),
    ]
    assert validate.summary(check_files([bad, good], environ={}), 2) == "2 errors in 1 file"


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (
            b'id,name\n1,"Acme\n2,Beta\n',
            "2:3",
            "row 2, column 2 (name): unterminated quote: the quote opened here is never closed "
            '(csv-quote); close the quote; inside a quoted field write a quote twice ("")',
        ),
        (
            b'id,name\n1,"Acme\n2,Beta\n3,"Gamma"\n',
            "2:3",
            "row 2, column 2 (name): unterminated quote: the field quoted here runs on to line 4, "
            "where 'G' follows its closing quote (csv-quote); close the quote; inside a quoted "
            'field write a quote twice ("")',
        ),
        (
            b'id,name\n1,"Ac"me\n',
            "2:7",
            "row 2, column 2 (name): 'm' after the closing quote of a quoted field (csv-quote); "
            'close the quote; inside a quoted field write a quote twice ("")',
        ),
        (
            b"id,name\n1,Acm\xe9\n",
            "2:6",
            "row 2, column 2: byte 0xe9 is not UTF-8 (csv-encoding); save the file as UTF-8, "
            "or name its encoding",
        ),
        (
            b"id,name\n1,a\x00\n",
            "2:4",
            "row 2, column 2: a NUL byte (0x00), which no CSV text holds (csv-nul); export the "
            "file again as CSV text",
        ),
        (
            b"name,id\nx,1\ny\n",
            "3:1",
            "row 3: column 2 (id) is missing (the row has 1) (ids-file); give every row an id, "
            "or delete the row",
        ),
    ],
)
def test_a_bad_ids_csv_names_row_column_and_fact(
    tmp_path: Path, data: bytes, where: str, message: str
) -> None:
    """Quotes, bytes and short rows in an ids CSV are located and named, never '' ids."""
    (tmp_path / "ids.csv").write_bytes(data)
    path = _write(
        tmp_path, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.csv}\n"
    )
    (problem,) = check_files([path], environ={}).problems
    assert str(problem) == f"{tmp_path / 'ids.csv'}:{where}: jobs[0].ids_file: {message}"


_CELLS = st.sampled_from(
    ["554023001000000001", "554023001000000002", "12", "012", " 7", "", "id", "Id ", "x",
     '"3"', '"4', "9223372036854775807", "9223372036854775808", "5,6", "\u0661",
     "8\x0c9", "1\r2", "3\u20284", "\t5", " "]
)  # fmt: skip
_LINES = st.lists(st.lists(_CELLS, max_size=3).map(",".join), max_size=8)


@settings(max_examples=150, deadline=None)
@given(_LINES, st.sampled_from(["\n", "\r\n"]))
def test_ids_file_fast_path_agrees_with_the_row_by_row_reading(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], newline: str
) -> None:
    """Whatever an ids file holds, the fast path (issue 13) gives the ids and problems the
    row-by-row reading gives, or leaves the file to it."""
    folder = tmp_path_factory.mktemp("ids")
    (folder / "ids.csv").write_text(newline.join(lines) + newline, encoding="utf-8")
    path = _write(
        folder, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.csv}\n"
    )
    fast = check_files([path], environ={})
    with mock.patch.object(rules_ids, "_fast_file", return_value=None):
        slow = check_files([path], environ={})
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert fast.manifests == slow.manifests


def test_a_long_ids_file_takes_the_fast_path(tmp_path: Path) -> None:
    """50,000 good ids under an `id` header are read without a Python call per row."""
    ids = [f"554023004{n:09d}" for n in range(1, 50_001)]
    (tmp_path / "ids.csv").write_text("Name,id\n" + "".join(f"d,{i}\n" for i in ids))
    path = _write(
        tmp_path, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.csv}\n"
    )
    with mock.patch.object(rules_ids._IdsFile, "take", side_effect=AssertionError("slow")):
        (manifest,) = check_files([path], environ={}).manifests
    assert manifest.jobs[0].ids == tuple(ids)  # type: ignore[union-attr]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_long_one_column_ids_file_is_read_without_the_csv_module(
    tmp_path: Path, newline: str
) -> None:
    """50,000 ids one per line, under `id` or not: split by line, no csv reader."""
    ids = [f"554023004{n:09d}" for n in range(1, 50_001)]
    for header in ("id", None):
        lines = ([header] if header else []) + ids
        (tmp_path / "ids.csv").write_text(newline.join(lines) + newline, newline="")
        path = _write(
            tmp_path, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.csv}\n"
        )
        with mock.patch.object(rules_ids.csv, "reader", side_effect=AssertionError("csv")):
            (manifest,) = check_files([path], environ={}).manifests
        assert manifest.jobs[0].ids == tuple(ids)  # type: ignore[union-attr]


def test_ids_csv_with_quoted_multiline_cells_and_crlf_reads_every_id(tmp_path: Path) -> None:
    """Quoted delimiters and newlines inside other columns do not disturb the ids."""
    (tmp_path / "ids.csv").write_bytes(
        b'\xef\xbb\xbfName;Id\r\n"Acme; Inc.";554023001000000001\r\n"two\r\nlines";2\r\n'
    )
    path = _write(
        tmp_path, HEAD + "  - {name: d, kind: mass_delete, module: Leads, ids_file: ids.csv}\n"
    )
    (manifest,) = check_files([path], environ={}).manifests
    assert manifest.jobs[0].ids == ("554023001000000001", "2")  # type: ignore[union-attr]


def test_bulk_csv_in_its_declared_encoding_is_read_whole(tmp_path: Path) -> None:
    """A BOM under character_encoding UTF-8 is not part of the first name, and a Latin-1
    file declared as such reads without a fault."""
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfLast_Name,Email\nBoyle,b@z.example\n")
    (tmp_path / "latin.csv").write_bytes(b"Last_Name,City\nBo\xefle,Z\xfcrich\n")
    job = (
        "  - {{name: {0}, kind: bulk_write, module: Leads, operation: insert, file: {0}.csv, "
        "character_encoding: {1}, field_mappings: [{{api_name: Last_Name, column: Last_Name}}]}}\n"
    )
    path = _write(tmp_path, HEAD + job.format("bom", "UTF-8") + job.format("latin", "ISO-8859-1"))
    checked = check_files([path], environ={})
    assert checked.problems == ()
    assert len(checked.manifests[0].jobs) == 2


def test_bulk_csv_wrong_rows_are_capped(tmp_path: Path) -> None:
    """Thousands of short rows give 20 located lines and one count of the rest."""
    rows = "".join(f"name{i}\n" for i in range(1_000))
    (tmp_path / "w.csv").write_text("Last_Name,Email\n" + rows, encoding="utf-8")
    path = _write(
        tmp_path,
        HEAD + "  - {name: w, kind: bulk_write, module: Leads, operation: insert, file: w.csv}\n",
    )
    more, *rows_shown = check_files([path], environ={}).problems
    assert more.message == "980 more rows with the wrong number of fields not shown"
    assert len(rows_shown) == 20
    assert str(rows_shown[0]) == (
        f"{tmp_path / 'w.csv'}:2:1: jobs[0].file: row 2 has 1 field, the header has 2 "
        "(csv-field-count); give every row one field per column; quote fields that hold the "
        "delimiter"
    )

"""The one file in a zip Zoho sends: found by name or suffix, refused when not one."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from runner.zoho import bulk_read, bulk_write
from runner.zoho.csvzip import open_only_file, open_only_text
from runner.zoho.errors import ZohoError


def a_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_the_one_file_is_read_whatever_its_name(tmp_path: Path) -> None:
    """Without suffixes the zip's only file is read, as text with its BOM dropped."""
    path = a_zip(tmp_path / "r.zip", {"odd name.txt": "\ufeffSTATUS\r\nADDED\r\n"})
    with open_only_text(path) as text:
        assert text.read() == "STATUS\r\nADDED\r\n"


def test_suffixes_pick_the_data_file_among_others(tmp_path: Path) -> None:
    """With suffixes, other files in the zip are passed over."""
    path = a_zip(tmp_path / "p.zip", {"README": "x", "1.csv": "Id\n1\n"})
    assert list(bulk_read.iter_csv_rows(path)) == [["Id"], ["1"]]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "p.zip: expected one .csv file in the zip, found 0"),
        ({"a.csv": "x", "b.csv": "y"}, "p.zip: expected one .csv file in the zip, found 2"),
    ],
)
def test_none_or_several_is_invalid_response(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    """A page with no CSV or two is INVALID_RESPONSE, naming the zip and the count."""
    path = a_zip(tmp_path / "p.zip", files)
    with pytest.raises(ZohoError) as caught:
        list(bulk_read.iter_csv_rows(path))
    assert (caught.value.code, caught.value.message) == ("INVALID_RESPONSE", message)


def test_a_result_zip_of_two_files_is_refused_the_same_way(tmp_path: Path) -> None:
    """Bulk write results go through the same reader and the same error."""
    path = a_zip(tmp_path / "result-1.zip", {"a.csv": "STATUS\n", "b.csv": "STATUS\n"})
    with pytest.raises(ZohoError, match=r"result-1\.zip: expected one file in the zip, found 2"):
        bulk_write.result_rows(path)


def test_result_rows_find_columns_by_name(tmp_path: Path) -> None:
    """STATUS, RECORD_ID and ERRORS are found by name, in any case and order."""
    text = "Last_Name,errors,Status,RECORD_ID\nA,,Added,1\nB,INVALID_DATA-Email,Skipped,\n"
    path = a_zip(tmp_path / "result-1.zip", {"x.csv": text})
    assert bulk_write.result_rows(path) == [
        bulk_write.ResultRow("Added", "1", ""),
        bulk_write.ResultRow("Skipped", "", "INVALID_DATA-Email"),
    ]


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40])
def test_a_file_that_is_no_zip_is_invalid_response(tmp_path: Path, data: bytes) -> None:
    """A download that is not a zip (an HTML error page, a cut-off file) is Zoho's
    INVALID_RESPONSE naming the file, never a crash."""
    bad = tmp_path / "page-1.zip"
    bad.write_bytes(data)
    with pytest.raises(ZohoError) as caught, open_only_file(bad):
        pass
    assert caught.value.code == "INVALID_RESPONSE"
    assert "page-1.zip: not a readable zip file" in caught.value.message

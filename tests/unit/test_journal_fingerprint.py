"""Job fingerprints: content counts, names and places do not, files count by content."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from runner.execute.fingerprint import job_fingerprint
from runner.manifest.model import BulkReadJob, BulkWriteJob, Location, MassUpdateJob
from runner.refs import sha256_file

JOB = MassUpdateJob(name="deals", module="Deals", ids=("1", "2"), values={"Type": "New"})


def test_same_content_same_fingerprint_despite_name_and_position() -> None:
    """Renaming, moving or reordering a job keeps its fingerprint."""
    moved = replace(
        JOB, name="renamed", index=7, location=Location("b.yaml", 9, 3), needs=("other",)
    )
    assert job_fingerprint(moved) == job_fingerprint(JOB)
    assert len(job_fingerprint(JOB)) == 64


@pytest.mark.parametrize(
    "changed",
    [
        replace(JOB, values={"Type": "Old"}),
        replace(JOB, ids=("1", "3")),
        replace(JOB, module="Accounts"),
        replace(JOB, over_write=True),
    ],
)
def test_any_content_change_changes_the_fingerprint(changed: MassUpdateJob) -> None:
    """Values, ids, module and options are all part of the content."""
    assert job_fingerprint(changed) != job_fingerprint(JOB)


def test_output_path_counts_by_name_and_fields_count() -> None:
    """Moving the output folder keeps the fingerprint; choosing other fields changes it."""
    a = BulkReadJob(name="x", module="Leads", output=Path("out.csv"))
    b = BulkReadJob(name="x", module="Leads", output=Path("/elsewhere/out.csv"))
    assert job_fingerprint(a) == job_fingerprint(b)  # only the file name counts
    assert job_fingerprint(a) != job_fingerprint(replace(a, fields=("Email",)))


def test_files_count_by_content_hash(tmp_path: Path) -> None:
    """A bulk write's CSV counts by its sha256, not by where it lives; the hash is required."""
    csv = tmp_path / "leads.csv"
    csv.write_text("email\na@example.com\n")
    job = BulkWriteJob(name="imp", module="Leads", operation="insert", file=csv)
    with pytest.raises(ValueError, match="sha256 of its file"):
        job_fingerprint(job)
    h1 = sha256_file(csv)
    moved = replace(job, file=tmp_path / "sub" / "other.csv")
    assert job_fingerprint(job, {"file": h1}) == job_fingerprint(moved, {"file": h1})
    csv.write_text("email\nb@example.com\n")
    assert job_fingerprint(job, {"file": sha256_file(csv)}) != job_fingerprint(job, {"file": h1})


def test_a_job_is_serialised_once_per_file_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked twice for one job object (as an apply does), the fingerprint is worked out
    once; another object, or other file hashes, are worked out anew."""
    from runner.execute import fingerprint

    worked: list[str] = []
    real = fingerprint._fingerprint

    def counting(job: MassUpdateJob, hashes: dict[str, str]) -> str:
        worked.append(job.name)
        return real(job, hashes)

    monkeypatch.setattr(fingerprint, "_fingerprint", counting)
    job = replace(JOB, name="once")
    first = job_fingerprint(job)
    assert job_fingerprint(job) == first
    assert worked == ["once"]
    assert job_fingerprint(replace(job)) == first  # an equal copy: same value, worked anew
    with_file = replace(job, ids_file=Path("ids.csv"))
    assert job_fingerprint(with_file, {"ids_file": "a" * 64}) != job_fingerprint(
        with_file, {"ids_file": "b" * 64}
    )
    assert worked == ["once", "once", "once", "once"]

"""Backups before destructive jobs (issue 12): what the records held, saved before the job's
first request, in the run's report folder (`backups/<job>.csv`).

What is read, by job (the plan shows the same calls and credits, runner/plan/backup_steps.py):
- mass update by ids: the fields it sets, for every id (GET records, 100 ids a call);
- mass update by cvid: a bulk read of the view with those fields;
- mass delete by cvid: a bulk read of the view, every field;
- mass delete by ids: a bulk read of the module, every field, kept to the job's ids (GET
  records names at most 50 fields; only an export holds whole records);
and the module's field metadata (one GET): which columns a revert may write back, and
their types.

Journaled once, as the fact `backup` (the file, its rows and sha256, its columns), after
the file is in place: a resumed run never reads twice, and the job's first POST comes
after it. A crash mid-backup leaves no fact, so only the backup is taken again (an export
goes on from its journaled pages, `backup:page:N`, `backup:download:N`, whose Zoho job ids
are the backup's, not the job's). A job whose journal already holds a POST of its own
(a run begun before backups existed) takes none: it would save the new values.

Field values never enter the journal (issue 9): only the file's path, size and hash do.
Nor does a value built from a ZCRM_VAR_* variable (or a credential) enter a backup: a
record holding one (an earlier job of the run set it, say) is withheld, and counted.
A backup that cannot be taken stops the job before anything is sent; `backup: false`
in the manifest skips it.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runner.atomic import atomic_open
from runner.execute.context import JobContext
from runner.execute.drivers.bulk_read import Export
from runner.execute.drivers.bulk_steps import fact, remember
from runner.execute.drivers.patient import patiently
from runner.execute.journal_read import JournalReader
from runner.manifest.model import AnyJob, BulkReadJob, MassDeleteJob, MassUpdateJob
from runner.refs import sha256_file
from runner.results import Backup, BackupColumn, JobError, JobResult
from runner.zoho import endpoints, metadata
from runner.zoho import records as zrecords
from runner.zoho.bulk_read import export_cell, id_column
from runner.zoho.bulk_write import writable
from runner.zoho.errors import AuthError, ZohoError
from runner.zoho.limits import GET_IDS_PER_CALL

BACKUP = "backup"  # the fact's step key
STEPS = "backup:"  # the key prefix of the backup's own steps (its export)
ID_COLUMN = "Id"  # the id column of a backup read by id, as bulk read spells it (§3.3)
DISABLED = "backup: false in the manifest"
WITHHELD = (
    "records left out: a field held a value built from a ZCRM_VAR_* variable, which no file "
    "may hold (issue 9); a revert cannot restore them"
)
KINDS = frozenset({"mass_update", "mass_delete"})


def is_backup_step(step_key: str) -> bool:
    """Whether a journaled step belongs to a job's backup rather than to the job."""
    return step_key == BACKUP or step_key.startswith(STEPS)


def wanted(job: AnyJob) -> bool:
    return isinstance(job, (MassUpdateJob, MassDeleteJob)) and job.backup


async def ensure_backup(ctx: JobContext) -> JobResult | None:
    """Take the job's backup unless it has one; None to go on, else how the job ends
    (FAILED: nothing was sent; RUNNING: the export still runs, resume goes on)."""
    if ctx.backup_dir is None or not wanted(ctx.job) or fact(ctx, BACKUP) is not None:
        return None
    module = ctx.job.module
    if _sent_before(ctx):
        why = "the job had sent requests before its backup could be taken; none was"
        ctx.progress.note(ctx.name, why)
        remember(ctx, BACKUP, endpoints.records(module), {"skipped": why})
        return None
    ctx.progress.note(ctx.name, "backup: saving the records before changing them")
    dest = ctx.backup_dir / f"{ctx.name}.csv"
    try:
        types = await _field_types(ctx)
        if isinstance(ctx.job, MassUpdateJob) and ctx.job.cvid is None:
            (rows, withheld), id_name = await _read_by_ids(ctx, dest), ID_COLUMN
            source = "records"
        else:
            exported = await _export(ctx, dest)
            if isinstance(exported, JobResult):
                return exported
            rows, withheld, id_name = exported
            source = "bulk_read"
    except AuthError:
        raise  # a refused token pauses the job (executor)
    except ZohoError as exc:
        return _failed(ctx, JobError.from_error(exc))
    except OSError as exc:  # the report folder was proven writable; a full disk, say
        return _failed(ctx, JobError("BACKUP_NOT_WRITTEN", f"cannot write {dest}: {exc.strerror}"))
    header = _header(dest)
    columns = [[c, types.get(c, "")] for c in _restorable(ctx.job, header, id_name, types)]
    remember(ctx, BACKUP, endpoints.records(module), {
        "file": str(dest.resolve()), "rows": rows, "sha256": sha256_file(dest),
        "source": source, "id_column": id_name, "columns": columns, "withheld": withheld,
    })  # fmt: skip
    # The export's pages may hold what a backup withholds; the backup no longer needs them.
    shutil.rmtree(ctx.work_dir / "backup", ignore_errors=True)
    ctx.progress.note(ctx.name, f"backup: {rows} records saved in {dest}")
    if withheld:
        ctx.progress.note(ctx.name, f"backup: {withheld} {WITHHELD}")
    return None


def _sent_before(ctx: JobContext) -> bool:
    return any(
        i.request.method == "POST" and not is_backup_step(i.step_key)
        for i in ctx.journal.intents(ctx.run_id, ctx.name)
    )


def _failed(ctx: JobContext, error: JobError) -> JobResult:
    """The job ends FAILED before its first request, the error told as the backup's."""
    fix = f"nothing was sent; fix the cause, or set backup: false on job {ctx.name!r}"
    told = JobError(error.code, f"backup: {error.message}; {fix}", error.details)
    return ctx.result("FAILED", errors=(told,))


async def _field_types(ctx: JobContext) -> dict[str, str]:
    """The module's writable fields and their types (settings/fields, one GET)."""
    fields = await patiently(ctx, lambda: metadata.list_fields(ctx.client, ctx.job.module))
    ctx.reads += 1
    return {
        f.api_name: f.data_type
        for f in fields
        if writable(f.api_name, f.data_type, read_only=f.read_only)
    }


def _restorable(
    job: AnyJob, header: Sequence[str], id_name: str, types: Mapping[str, str]
) -> list[str]:
    """The columns a revert writes back: an update's fields, or a deleted record's
    writable fields (read-only, system and unknown columns are left out)."""
    if isinstance(job, MassUpdateJob):
        return [c for c in header if c in job.values]
    return [c for c in header if c != id_name and c in types]


def _holds_secret(ctx: JobContext, cells: Sequence[str]) -> bool:
    """Whether a record's cells hold a value no file may (JobContext.secrets, issue 9)."""
    return bool(ctx.secrets) and any(s in cell for cell in cells for s in ctx.secrets)


async def _read_by_ids(ctx: JobContext, dest: Path) -> tuple[int, int]:
    """A mass update by ids: its fields of every id, 100 ids a GET, at most
    `--concurrency` at once; ids Zoho does not return (gone, or never there) are left out.
    The records saved and those withheld (`_holds_secret`)."""
    job = ctx.job
    assert isinstance(job, MassUpdateJob)
    ids, fields = list(job.ids or ()), list(job.values)
    chunks = [ids[i : i + GET_IDS_PER_CALL] for i in range(0, len(ids), GET_IDS_PER_CALL)]
    slots = asyncio.Semaphore(ctx.concurrency)

    async def one(chunk: list[str]) -> list[dict[str, Any]]:
        async with slots:
            rows = await patiently(
                ctx, lambda: zrecords.get_records(ctx.client, job.module, chunk, fields)
            )
        ctx.reads += 1
        return rows

    found = await asyncio.gather(*(one(c) for c in chunks))
    dest.parent.mkdir(parents=True, exist_ok=True)
    count = withheld = 0
    with atomic_open(dest, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([ID_COLUMN, *fields])
        for rows in found:
            for record in rows:
                cells = [export_cell(record.get(f)) for f in fields]
                if _holds_secret(ctx, cells):
                    withheld += 1
                    continue
                writer.writerow([record["id"], *cells])
                count += 1
    return count, withheld


async def _export(ctx: JobContext, dest: Path) -> tuple[int, int, str] | JobResult:
    """A bulk read of the view (or, for a delete by ids, of the module kept to the ids)
    into `dest`; its rows, those withheld and its id column, or how the job ends while it
    cannot finish."""
    job = ctx.job
    assert isinstance(job, (MassUpdateJob, MassDeleteJob))
    folder = ctx.work_dir / "backup"
    folder.mkdir(parents=True, exist_ok=True)
    fields = tuple(job.values) if isinstance(job, MassUpdateJob) else ()
    read = BulkReadJob(
        name=job.name, module=job.module, output=folder / "export.csv", fields=fields,
        cvid=job.cvid,
    )  # fmt: skip
    done = await Export(ctx, read, prefix=STEPS, folder=folder, label="backup").pages()
    if done.status == "RUNNING":
        why = "backup: its export is still running; resume to finish it, then the job"
        ctx.progress.note(ctx.name, why)
        return ctx.result("RUNNING", skipped_reason=why)
    if done.status != "COMPLETED":
        error = done.errors[0] if done.errors else JobError("JOB_FAILED", "the export failed")
        return _failed(ctx, error)
    keep = None if job.cvid is not None else set(job.ids or ())
    return _copy(ctx, read.output, dest, keep)


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), [])


def _copy(ctx: JobContext, src: Path, dest: Path, keep: set[str] | None) -> tuple[int, int, str]:
    """The export into the backup, only the rows of `keep` ids when given; the rows saved,
    those withheld (`_holds_secret`), and the id column."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    count = withheld = 0
    with src.open(newline="", encoding="utf-8") as fh, atomic_open(dest, newline="") as out:
        rows = csv.reader(fh)
        header = next(rows, [])
        at = id_column(header)
        if at is None:
            raise ZohoError("INVALID_RESPONSE", "the export has no id column")
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            if not row or (keep is not None and (at >= len(row) or row[at] not in keep)):
                continue
            if _holds_secret(ctx, row):
                withheld += 1
                continue
            writer.writerow(row)
            count += 1
    return count, withheld, header[at]


def recorded(
    journal: JournalReader, run_id: str, job: AnyJob, folder: Path | None
) -> Backup | None:
    """The job's backup as its journal says (for the report), paths relative to `folder`
    (the run's report folder) when inside it; None for a job that takes none."""
    if job.kind not in KINDS:
        return None
    if not wanted(job):
        return Backup(None, skipped=DISABLED)
    intent = journal.latest_intent(run_id, job.name, BACKUP)
    found = journal.intent_result(intent.id) if intent and intent.state == "ACKED" else None
    if not found:
        return None
    if "file" not in found:
        return Backup(None, skipped=str(found.get("skipped") or "no backup was taken"))
    path = Path(str(found["file"]))
    if folder is not None and path.is_relative_to(folder.resolve()):
        path = path.relative_to(folder.resolve())
    return Backup(
        path=str(path),
        rows=int(found.get("rows", 0)),
        source=str(found.get("source") or ""),
        id_column=str(found.get("id_column") or ID_COLUMN),
        columns=tuple(BackupColumn(str(n), str(t)) for n, t in found.get("columns", ())),
        withheld=int(found.get("withheld", 0)),
    )

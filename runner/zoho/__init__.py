"""The client side of the Zoho wire: one httpx.AsyncClient, auth, errors, API families.

Public API (stable; everything else is private). Families are plain async functions that
take the client first; results are frozen dataclasses; ids are always `str`.

    auth.target_from_env(environ) -> Target          TargetError when nothing is set
    auth.Target(api_domain, accounts_url, upload_domain, credentials, dc, env).describe()
    auth.Credentials(access_token | client_id + client_secret + refresh_token)
    client.ZohoClient(target, *, clock, transport=None, retry=None, rng=None,
                      deadline=None, timeout=DEFAULT_TIMEOUT, retry_refused_posts=False)
        async with ...: .get(path, params=) / .request(method, path, ...) / .download(url, dest)
        .deadline (settable, on the clock's time line), .calls (requests sent)
    metadata.get_org(c) -> Org(id, zgid, ...)       metadata.current_user(c) -> User
    metadata.list_fields(c, module) -> tuple[Field]  metadata.list_modules(c) -> tuple[Module]
    metadata.list_custom_views(c, module) -> tuple[CustomView]
    metadata.record_count(c, module, cvid) -> int
    records.get_records(c, module, ids, fields, in_flight=1) -> list[dict]
                              (any number of ids, 100 a call, `in_flight` calls at once;
                              fields: 1-50 names, required by Zoho)
    record_reads.list_records(c, module, fields, cvid=None, sort_by=None, sort_order=None,
                              per_page=200, limit=None) -> async iterator of pages
                              (page 1..10, then page_token past record 2,000)
    record_reads.list_pages(c, module, fields, cvid=None, territory_id=None,
                            include_child=False, ..., limit=None)
                              -> async iterator of RecordPage(rows, more)
    record_reads.deleted_records(c, module, type="all", per_page=200)
                              -> async iterator of pages of DeletedRecord
    record_reads.DeletedRecord(id, deleted_time, type, display_name)
    record_reads.parse_zoho_time(text) -> float (epoch seconds; INVALID_RESPONSE on garbage)
    mass_update.mass_update_ids(c, module, ids, values, over_write=False) -> list[RecordOutcome]
    mass_update.schedule_mass_update(c, module, cvid, values, territory=None,
                                     over_write=False) -> job_id
    mass_update.mass_update_status(c, module, job_id) -> MassJobStatus
    mass_delete.mass_delete_ids(c, module, ids) -> list[RecordOutcome]
    mass_delete.schedule_mass_delete(c, module, cvid, territory=None) -> job_id
    mass_delete.mass_delete_status(c, module, job_id) -> MassJobStatus (.deleted == .done)
    bulk_read.create_bulk_read(c, module, fields=(), criteria=None, cvid=None, page=None,
                               page_token=None, file_type="csv") -> job_id
    bulk_read.bulk_read_status(c, job_id) -> BulkReadStatus
    bulk_read.download_bulk_read(c, job_id, dest) -> Path
    bulk_read.iter_csv_rows(zip_path) / iter_text(zip_path) / extract_member(zip_path, dest)
    bulk_write.upload_file(c, zip_path, zgid) -> file_id
    bulk_write.create_bulk_write(c, operation, module, file_id, find_by=None,
                                 field_mappings=(ColumnMapping, ...), ignore_empty=False,
                                 character_encoding=None) -> job_id
    bulk_write.bulk_write_status(c, job_id) -> BulkWriteStatus
    bulk_write.download_bulk_write_result(c, download_url, dest) -> Path
    bulk_write.result_rows(zip_path) -> list[ResultRow]; outcome(row, number) -> RecordOutcome
    csvzip.open_only_file(zip_path, suffixes=()) / open_only_text(...): the one file in a zip
    errors.*: the ZohoError tree, KNOWN_CODES, RECORD_CODES, error_from_response()
    limits.*: Zoho's documented limits and credit costs, each once, with its source

States are normalised: upper case, and "INPROGRESS" / "IN PROGRESS" both read IN PROGRESS.
A POST that creates a job or changes records is never retried blindly: a lost answer
raises errors.OutcomeUnknown; check `err.request_was_processed` (False = refused, resend
later; None = unknown). AlreadyScheduled means wait for the running job, never resend.
"""

from __future__ import annotations

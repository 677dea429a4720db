"""The errors the runner itself raises, as docs/TROUBLESHOOTING.md explains them.

`keys` names what a test can find in the code: an exception class of runner/errors.py
or an error code the runner writes itself (`JobError("JOB_FAILED", ...)`). The test fails
when the code raises a class or writes a code that no entry here names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerProblem:
    """One error a user meets: how it shows, what it means, what to do."""

    title: str
    anchor: str
    keys: tuple[str, ...]
    shown: str
    meaning: str
    action: str


RUNNER_ERRORS: tuple[RunnerProblem, ...] = (
    RunnerProblem(
        "No target", "no-target", ("TargetError",),
        "`zcrm-runner: no Zoho target: set ZOHO_ACCESS_TOKEN, or ZOHO_CLIENT_ID + "
        "ZOHO_CLIENT_SECRET + ZOHO_REFRESH_TOKEN (with ZOHO_DC or ZOHO_API_DOMAIN), or use "
        "--sim` (exit 1). Its relatives name a bad `ZOHO_DC` or `ZOHO_ENV`, a refresh-token "
        "flow missing one of its three variables, or a plain `http://` URL to another "
        "machine.",
        "`apply`, `resume` and `plan --online` need an org, and the environment names none "
        "(or names one that cannot work). Nothing was sent.",
        "Export the variables (README, *Targets*), or add `--sim` for the built-in "
        "simulator. `sim serve` prints the four lines that point the runner at it. A URL "
        "must be `https://` unless it is this machine.",
    ),
    RunnerProblem(
        "Lock held", "lock-held", ("StateLockedError",),
        "`zcrm-runner: .zcrm is in use by pid 4242 on build-7 (run 20260101-..., since "
        "...); wait for it to finish (a second apply beside it could send the same jobs "
        "twice)` (exit 1).",
        "Another `apply` or `resume` holds the state dir's lock. The kernel holds it, not "
        "the file: it goes when that process ends, even by `kill -9`, so a stale lock is "
        "impossible.",
        "Wait for the named process, or stop it (it can be resumed). Keep `--state-dir` on "
        "a local disk: locks on network file systems are not reliable. With the journal in "
        "PostgreSQL (`ZCRM_STATE_URL`) the lock is per org: `org 5540... is in use by pid "
        "4242 of user ana on build-7 (...), says the journal at postgresql://ops:***@db/zcrm`; "
        "the server drops it when the holder's connection ends (docs/STATE.md).",
    ),
    RunnerProblem(
        "State database", "state-database", ("StateError",),
        "`zcrm-runner: cannot open the journal at postgresql://ops:***@db:5432/zcrm: "
        "connection failed: ...` (exit 1), or `cannot set up the journal at ...`, or `the "
        "journal at ... failed: ...` during a run.",
        "`ZCRM_STATE_URL` keeps the journal in PostgreSQL, and the server cannot be reached, "
        "refused the login, lacks the schema of the URL's search path, holds tables of "
        "another program where the journal's go, or the connection was lost mid-run (the "
        "org lock went with it, so the run stopped). The password is always shown as ***.",
        "Check the URL, the server and the role's rights (docs/STATE.md); give the journal a "
        "database or schema of its own. A run stopped mid-way is unfinished: `resume` it "
        "once the database answers. Unset `ZCRM_STATE_URL` to use the state dir's SQLite "
        "journal instead (it does not hold the team's runs).",
    ),
    RunnerProblem(
        "Unfinished run", "unfinished-run", ("UnfinishedRunError",),
        "`zcrm-runner: run 20260101-... of these jobs on org 5540... is unfinished "
        "(INTERRUPTED); applying again could send its jobs twice:` then its Zoho jobs in "
        "flight, `finish it: zcrm-runner resume RUN_ID ...` and `or, once you have checked "
        "the org, drop it: add --abandon RUN_ID to this apply` (exit 1).",
        "An earlier run of the same jobs on the same org crashed, was stopped, reached its "
        "deadline or was paused by a refused token, after sending something. A run that "
        "sent nothing is closed by itself.",
        "Run the printed `resume` command (it keeps the run's own options). Or check the "
        "org, then `apply --abandon RUN_ID` to drop it and apply anew.",
    ),
    RunnerProblem(
        "OUTCOME_UNKNOWN", "outcome_unknown", ("OUTCOME_UNKNOWN",),
        "A job FAILED with `OUTCOME_UNKNOWN: POST /crm/... may or may not have been applied: "
        "...; check the org before sending it again; it was not retried`, and later applies "
        "refuse it: `run ... could not tell whether Zoho carried out job 'x' (an answer was "
        "lost and no evidence settled it); check the org, then apply with --replace x to "
        "send it again` (exit 1).",
        "A request that creates a Zoho job or changes records lost its answer (timeout, "
        "dropped connection, 5xx), and no evidence (records read back, a view sampled, rows "
        "looked up) could tell whether Zoho carried it out. Resending could apply it twice.",
        "Check the org: the records the job would change. If it was not applied, "
        "`apply --replace JOB`; if it was, leave it (later applies go on refusing the job "
        "until `--replace` names it).",
    ),
    RunnerProblem(
        "Plan refused", "plan-refused", ("StalePlanError",),
        "`zcrm-runner: PLAN.json: the plan is 1d 2h old (made ...), --max-plan-age is 24h; "
        "make a new plan: zcrm-runner plan ... --out PLAN.json ...` (exit 1); or the saved "
        "plan is stale (a manifest, data file, view count or org changed), was applied by "
        "run X already, was made by another zcrm-runner version, or is in the future. "
        "`resume` refuses the same way when a manifest changed since its run started.",
        "`apply --plan` applies exactly what was reviewed, once, by the version that made "
        "it, within `--max-plan-age`. Nothing was sent.",
        "Make the plan again (the message gives the command), review it, apply it. For an "
        "old but still right plan, `--max-plan-age`. For `resume`: restore the manifest, or "
        "check the org and `apply --abandon RUN_ID`.",
    ),
    RunnerProblem(
        "Host refused", "host-refused", ("HOST_REFUSED", "REDIRECT_NOT_FOLLOWED"),
        "`HOST_REFUSED: GET https://elsewhere.example/... was not sent: ...; the access "
        "token goes only to the target's own Zoho hosts over https (or to this machine for "
        "a local target)`, or `REDIRECT_NOT_FOLLOWED: ... answered HTTP 302, a redirect to "
        "...; redirects are not followed, so the token was not sent there`.",
        "A URL (often a download URL Zoho answered with) points outside the target's own "
        "hosts or data centre, or a server answered with a redirect. The token never "
        "leaves the target's hosts, so the request was not sent; the job fails (exit 1).",
        "Check `ZOHO_DC`, `ZOHO_API_DOMAIN`, `ZOHO_ACCOUNTS_URL` and `ZOHO_UPLOAD_DOMAIN` "
        "(a proxy or a wrong data centre shows this way). Nothing to do on the org.",
    ),
    RunnerProblem(
        "Transport error", "transport-error", ("TRANSPORT_ERROR",),
        "`TRANSPORT_ERROR: ...` (timeout, refused or dropped connection), naming the host.",
        "No HTTP answer at all. Reads, polls and downloads are retried with backoff; a "
        "request whose connection never opened is retried whatever it is; a POST that was "
        "sent is settled from evidence (see OUTCOME_UNKNOWN).",
        "Check the network or proxy to the host named. A run stopped by it can be resumed.",
    ),
    RunnerProblem(
        "Invalid response", "invalid-response", ("INVALID_RESPONSE",),
        "`INVALID_RESPONSE: ...`: an answer the runner cannot read (not JSON where JSON "
        "was due, a download that is not a readable zip, a later page with other columns).",
        "Zoho (or something between) answered with something unexpected. The job fails "
        "(exit 1).",
        "Resume or apply again later; if it repeats, report it with the message.",
    ),
    RunnerProblem(
        "Zoho job failed", "zoho-job-failed", ("JOB_FAILED",),
        "`JOB_FAILED: Zoho reported job 5540... FAILED after 120 of 400 records` (mass "
        "job by view) or `Zoho reported bulk write job ... (part 2) FAILED` (exit 1).",
        "Zoho accepted the job and then ended it FAILED. It counts as applied (the ledger "
        "keeps it) because Zoho may have changed some records.",
        "Look at the records in Zoho, fix the cause, then `apply --replace JOB`.",
    ),
    RunnerProblem(
        "Output not written", "output-not-written", ("OUTPUT_NOT_WRITTEN",),
        "`OUTPUT_NOT_WRITTEN: cannot write exports/x.csv: No space left on device; the "
        "pages are kept in .zcrm/runs/RUN_ID/...` (exit 1).",
        "A bulk read downloaded its pages but could not write the joined file (the folder "
        "was proven writable before the run: a full disk, say).",
        "Free the space (or fix the folder) and run the bulk read again; its pages are in "
        "the work folder the message names.",
    ),
    RunnerProblem(
        "Backup not taken", "backup-not-taken", ("BACKUP_NOT_WRITTEN",),
        "`NO_PERMISSION: backup: ...; nothing was sent; fix the cause, or set backup: false "
        "on job 'junk-leads'` (any code), or `BACKUP_NOT_WRITTEN: backup: cannot write "
        "reports/RUN_ID/backups/junk-leads.csv: ...` (exit 1).",
        "A mass update or mass delete saves the records it targets before its first "
        "request (`backup`, on by default; `zcrm-runner revert` reads it). That read or "
        "export failed, or its file could not be written, so the job stopped before sending "
        "anything.",
        "Fix the cause the message gives (the token's read and bulk read scopes, the disk) "
        "and apply again; or, knowing `revert` then cannot undo the job, set `backup: "
        "false` on it.",
    ),
    RunnerProblem(
        "Bulk write file", "bulk-write-file", ("FILE_UNREADABLE", "COLUMN_NOT_FOUND"),
        "`FILE_UNREADABLE: leads.csv: ...` or `COLUMN_NOT_FOUND: ...` (exit 1).",
        "A bulk write's CSV could not be read when the job ran, or a mapped column is not "
        "in its header. `validate` checks both; the file changed since, or was not there.",
        "Fix the file or `field_mappings`, run `validate`, apply again.",
    ),
    RunnerProblem(
        "Invalid manifest", "invalid-manifest", ("ManifestError",),
        "`jobs.yaml:14:7: jobs[2].values: 4 fields, Deals allows 3 (deals-max-3); keep ≤ 3 "
        "or split the job`, one line per problem (exit 1).",
        "The manifest failed validation; every problem is listed at once, nothing was sent.",
        "Fix each as its fix says; [MANIFEST.md](MANIFEST.md#rule-index) explains the rule.",
    ),
    RunnerProblem(
        "Usage error", "usage-error", ("UsageError",),
        "`zcrm-runner: give manifest files or --plan PLAN.json, not both`, `apply against "
        "https://... needs --yes when not run from a terminal`, `--state-dir x: ...` "
        "(exit 1).",
        "Options that cannot work together, a folder that cannot be used, a missing "
        "confirmation. Nothing was sent.",
        "Do as the message says; `zcrm-runner COMMAND --help` lists the options.",
    ),
    RunnerProblem(
        "Some records failed", "some-records-failed", ("RecordsFailedError",),
        "The summary lists PARTIAL (or FAILED) jobs with failed counts (exit 3).",
        "Zoho refused some records (locked, in blueprint, not approved, invalid data...); "
        "the others were applied.",
        "Read the job's CSV in the report; fix those records, then `apply --retry-failed "
        "JOB` (or `all`), which sends only what failed.",
    ),
    RunnerProblem(
        "Deadline reached", "deadline-reached", ("DeadlineReachedError",),
        "`Jobs still running on Zoho. Resume with: zcrm-runner resume RUN_ID ...` "
        "(exit 4).",
        "`--deadline` (2 hours unless given) passed while a Zoho job was still running; Zoho "
        "goes on with it. The same exit, with `...could not be read yet (INTERNAL_ERROR); "
        "resume to settle it` in the job's line, when an answer was lost and the records that "
        "would tell what it did could not be read just then (a 5xx, 429 or no answer, tried "
        "again until no time was left): nothing is concluded and nothing is resent until a "
        "read succeeds.",
        "Run the printed `resume` later, or with a longer `--deadline`.",
    ),
    RunnerProblem(
        "Interrupted", "interrupted", ("RunInterrupted",),
        "`run RUN_ID interrupted; resume with: zcrm-runner resume RUN_ID ...` (exit 130).",
        "^C stopped the run; the journal has every request sent and every answer received.",
        "Run the printed `resume`; it sends only what was never acknowledged.",
    ),
    RunnerProblem(
        "Internal error", "internal-error", (),
        "`zcrm-runner: internal error: ValueError(...); traceback in .zcrm/crash-....log` "
        "(exit 1).",
        "A bug in the runner. The traceback went to a new owner-only file in the state dir, "
        "not to the screen.",
        "Report it with the crash log (read it first: it shows local paths). A run it "
        "stopped can be resumed.",
    ),
)  # fmt: skip

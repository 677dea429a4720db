"""The journal's tables, migrations, row types and secret scrubbing.

Layout (schema version in `PRAGMA user_version`; `MIGRATIONS[i]` moves version i to i+1,
so a new column is one more tuple of statements, never an edit of an old one; written in
SQLite's dialect, which journal_pg.py translates for PostgreSQL; journal_db.migrate runs
them):

  runs     one row per apply; target JSON (never a credential), manifests, options
  jobs     one row per (run, manifest job); content fingerprint for apply-once; its
           request-level errors as `JobError`s (code, message, details)
  intents  one row per POST the runner is about to send: written PENDING before the
           request, then ACKED (answer recorded), REFUSED (definite request-level error)
           or UNKNOWN (answer lost: a crash or a dropped connection after sending)
  results  the answer of an ACKED intent: a compact JSON result and per-record outcomes
  polls    every status poll of a Zoho job, keyed by the intent that created it (the
           runner reads how many; status and counts are the record for a person; the
           v1 error_code column is never written)

Nothing here stores a request's headers or body: a `RequestSummary` keeps the method, the
path (secret-looking query parameters redacted), the body's sha256 and an ids count.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from runner.errors import RunnerError
from runner.results import JobError

IntentState = Literal["PENDING", "ACKED", "REFUSED", "UNKNOWN"]
RunStatus = Literal[
    "RUNNING", "COMPLETED", "PARTIAL", "FAILED", "DEADLINE", "INTERRUPTED", "PAUSED", "ABANDONED"
]
#: Runs `resume` can finish and `apply` will not silently replace. PAUSED: the run ended
#: with Zoho jobs still in flight for another reason than the deadline (a refused token).
UNFINISHED_RUN_STATUSES: tuple[RunStatus, ...] = ("RUNNING", "DEADLINE", "INTERRUPTED", "PAUSED")
#: A job's entry in the apply-once ledger (`jobs.ledger`): APPLIED once Zoho ran it to its
#: end (COMPLETED, PARTIAL, or FAILED after Zoho accepted a request), UNKNOWN when a request
#: may have reached Zoho and no evidence settled it. Both keep `apply` from sending the same
#: content again without `--replace`.
Ledger = Literal["APPLIED", "UNKNOWN"]
REDACTED = "[redacted]"

_V1 = (
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        status TEXT NOT NULL,
        exit_code INTEGER,
        org_id TEXT,
        target TEXT NOT NULL,
        manifests TEXT NOT NULL,
        options TEXT NOT NULL)""",
    """CREATE TABLE jobs (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        module TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL,
        counts TEXT NOT NULL DEFAULT '{}',
        zoho_job_ids TEXT NOT NULL DEFAULT '[]',
        started_at REAL,
        ended_at REAL,
        PRIMARY KEY (run_id, name))""",
    "CREATE INDEX jobs_by_fingerprint ON jobs(fingerprint, status)",
    """CREATE TABLE intents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        job TEXT NOT NULL,
        step_key TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        body_sha256 TEXT,
        ids_count INTEGER,
        state TEXT NOT NULL CHECK (state IN ('PENDING', 'ACKED', 'REFUSED', 'UNKNOWN')),
        zoho_job_id TEXT,
        error_code TEXT,
        error_message TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (run_id, job, step_key, attempt))""",
    """CREATE TABLE results (
        intent_id INTEGER PRIMARY KEY REFERENCES intents(id),
        result TEXT NOT NULL DEFAULT '{}',
        outcomes TEXT NOT NULL DEFAULT '[]')""",
    """CREATE TABLE polls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        intent_id INTEGER NOT NULL REFERENCES intents(id),
        at REAL NOT NULL,
        status TEXT NOT NULL,
        counts TEXT NOT NULL DEFAULT '{}',
        error_code TEXT)""",
    "CREATE INDEX polls_by_intent ON polls(intent_id)",
)
# v2: a job's request-level errors ([[code, message], ...]), so a resumed run's report
# still says why a job of the interrupted run failed.
_V2 = ("ALTER TABLE jobs ADD COLUMN errors TEXT NOT NULL DEFAULT '[]'",)
# v3: the apply-once ledger (see `Ledger`); NULL for jobs that did not change the org.
_V3 = (
    "ALTER TABLE jobs ADD COLUMN ledger TEXT",
    "UPDATE jobs SET ledger = 'APPLIED' WHERE status IN ('COMPLETED', 'PARTIAL')"
    " AND kind != 'bulk_read'",
)
# v4: a job's errors are stored whole, `[{"code", "message", "details"}, ...]`, so a
# resumed run's report keeps their details. No statement: v2-v3 `[code, message]` pairs
# are still read (journal_outcomes.unpack_errors); the new number keeps older runners,
# which would misread the new form, out of the file.
_V4: tuple[str, ...] = ()
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)
#: The oldest version `JournalReader.open_read_only` reads unmigrated (`plan` writes
#: nothing): v3 brought the ledger, and v4 changed nothing a reader cannot read.
READABLE_FROM = 3


def too_new(version: int) -> RunnerError | None:
    """The error for a state file written by a newer zcrm-runner, or None."""
    if version <= SCHEMA_VERSION:
        return None
    return RunnerError(
        f"the state file uses journal schema v{version}, this zcrm-runner knows up to "
        f"v{SCHEMA_VERSION}; upgrade zcrm-runner or use another --state-dir"
    )


# --- secrets never reach the file ---------------------------------------------------
# Keys whose values are credentials (OAuth: RFC 6749 §4.1, §6; HTTP auth headers).
_SECRET_KEY = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|"
    r"access_token|refresh_token|id_token|client_secret|password|token)$"
    r"|secret|passw",
    re.IGNORECASE,
)
# Zoho OAuth tokens look like 1000.<hex>.<hex>; an auth header value starts with the scheme.
_SECRET_VALUE = re.compile(r"1000\.[0-9a-f]{16,}\.[0-9a-f]{16,}|Zoho-oauthtoken\s+\S+", re.I)


def is_secret_key(key: str) -> bool:
    """True for a mapping key or query parameter whose value is a credential."""
    return bool(_SECRET_KEY.search(key))


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON-able copy of `value` with credential keys and token-shaped strings redacted."""
    known = tuple(s for s in secrets if s)
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if is_secret_key(str(k)) else scrub(v, known) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub(v, known) for v in value]
    if isinstance(value, str):
        for secret in known:
            value = value.replace(secret, REDACTED)
        return _SECRET_VALUE.sub(REDACTED, value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return scrub(str(value), known)


def scrub_path(path: str, secrets: Iterable[str] = ()) -> str:
    """The request path with the values of secret-looking query parameters redacted."""
    parts = urlsplit(path)
    query = [
        (k, REDACTED if is_secret_key(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    cleaned = urlunsplit(parts._replace(query=urlencode(query, safe="[]")))
    return str(scrub(cleaned, secrets))


# Mapping keys (lower case, as JSON text) that `is_secret_key` redacts by exact name;
# `secret`/`passw` anywhere in a longer key are caught by the substring tests below.
_SECRET_KEYS_JSON = tuple(
    f'"{k}"'
    for k in (
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
        "api_key", "api-key", "apikey", "access_token", "refresh_token", "id_token",
        "client_secret", "password", "token",
    )
)  # fmt: skip


def may_hold_secret(text: str, known: Sequence[str]) -> bool:
    """Cheap prefilter (substring tests only): False means nothing in the text to redact.

    `text` is JSON, where json.dumps writes a value's non-ASCII characters, quotes and
    backslashes escaped: each known value is looked for as it is and as JSON writes it
    (a value of a ZCRM_VAR_* variable like "Zürich Süd" was missed, and kept, issue 13)."""
    lower = text.lower()
    return (
        any(form in text for s in known for form in _as_written(s))
        or "secret" in lower
        or "passw" in lower
        or "oauthtoken" in lower
        or ("1000." in text and _SECRET_VALUE.search(text) is not None)
        or any(k in lower for k in _SECRET_KEYS_JSON)
    )


def _as_written(secret: str) -> tuple[str, ...]:
    """The value, and the value as a JSON string's body when json.dumps escapes it."""
    escaped = json.dumps(secret)[1:-1]
    return (secret,) if escaped == secret else (secret, escaped)


def dumps(value: Any, secrets: Iterable[str] = ()) -> str:
    """Canonical, scrubbed JSON for a column.

    Fast path: serialise once and scan the text; only text that may show a secret, a
    token-shaped string or a credential key is walked and redacted value by value. A
    batch of 500 outcomes is then one `json.dumps` and a few substring tests.
    """
    known = [s for s in secrets if s]
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    if may_hold_secret(text, known):
        return json.dumps(scrub(value, known), sort_keys=True, separators=(",", ":"))
    return text


# --- rows ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestSummary:
    """What a POST was, without its headers or body: enough to spot a duplicate, no secret."""

    method: str
    path: str
    body_sha256: str | None = None
    ids_count: int | None = None

    @classmethod
    def of(
        cls, method: str, path: str, body: bytes | str | None = None, ids_count: int | None = None
    ) -> RequestSummary:
        """Summarise a request: the body is hashed here and never kept."""
        digest = None
        if body is not None:
            raw = body.encode() if isinstance(body, str) else body
            digest = hashlib.sha256(raw).hexdigest()
        return cls(method.upper(), path, digest, ids_count)


@dataclass(frozen=True)
class Intent:
    """One journaled POST and what became of it."""

    id: int
    run_id: str
    job: str
    step_key: str
    attempt: int
    request: RequestSummary
    state: IntentState
    zoho_job_id: str | None
    error_code: str | None
    error_message: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class RunRow:
    """A run as the journal knows it (`zcrm-runner runs`)."""

    run_id: str
    started_at: float
    ended_at: float | None
    status: str
    exit_code: int | None
    org_id: str | None
    target: Mapping[str, Any]
    manifests: tuple[Mapping[str, Any], ...]
    options: Mapping[str, Any]


@dataclass(frozen=True)
class JobRow:
    """A job within a run, with its content fingerprint and last known state."""

    run_id: str
    name: str
    kind: str
    module: str
    fingerprint: str
    status: str
    counts: Mapping[str, int]
    zoho_job_ids: tuple[str, ...]
    started_at: float | None
    ended_at: float | None
    errors: tuple[JobError, ...] = ()
    ledger: str | None = None

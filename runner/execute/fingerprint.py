"""A job's content fingerprint: what apply-once compares across runs on one org.

sha256 of a canonical JSON (sorted keys, no spaces) of what the job does to the org:
kind, module and every content field. Left out, because they change nothing on the org:
`name` (renaming a job does not undo it), `index` and `location` (where it sits in the
manifest), `needs` (ordering), `from_env` (which values came from the environment:
the values themselves count) and `backup` (a read taken before the job, issue 12). Files
count by content, never by path: `ids_file` and `file` are replaced by the sha256 the
caller passes in `file_hashes` (the runner hashes them while reading them anyway); any
other path (`output`) counts by its file name only, so moving the checkout does not make
every job look new.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from runner.manifest.model import AnyJob

FINGERPRINT_VERSION = 1
_NOISE = frozenset({"name", "index", "location", "needs", "from_env", "backup"})
_CONTENT_FILES = frozenset({"ids_file", "file"})


def _plain(value: Any) -> Any:
    """Dataclasses, mappings, tuples and paths → JSON values (no deepcopy, unlike asdict)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= {str}:
            return list(value)  # 50,000 ids: no Python step per element
        return [_plain(v) for v in value]
    if isinstance(value, PurePath):
        return value.name
    return value


#: The last fingerprints worked out, by job object: an apply asks for each job's twice
#: (the unfinished-run check, then the job's own ledger), and a job of 50,000 ids takes
#: ~10 ms to serialise. Keyed by identity (a job's `values` mapping makes it unhashable),
#: checked against the very object, and bounded so a long process keeps no job alive.
_RECENT: OrderedDict[int, tuple[AnyJob, tuple[tuple[str, str], ...], str]] = OrderedDict()
_RECENT_MAX = 64


def job_fingerprint(job: AnyJob, file_hashes: Mapping[str, str] | None = None) -> str:
    """The job's content hash; `file_hashes` maps "ids_file"/"file" to their content sha256."""
    key = tuple(sorted((file_hashes or {}).items()))
    hit = _RECENT.get(id(job))
    if hit is not None and hit[0] is job and hit[1] == key:
        return hit[2]
    fingerprint = _fingerprint(job, dict(key))
    _RECENT[id(job)] = (job, key, fingerprint)
    _RECENT.move_to_end(id(job))
    while len(_RECENT) > _RECENT_MAX:
        _RECENT.popitem(last=False)
    return fingerprint


def _fingerprint(job: AnyJob, hashes: dict[str, str]) -> str:
    body: dict[str, Any] = {"v": FINGERPRINT_VERSION, "kind": job.kind}
    for f in dataclasses.fields(job):
        if f.name in _NOISE:
            continue
        value = getattr(job, f.name)
        if f.name in _CONTENT_FILES and value is not None:
            if f.name not in hashes:
                raise ValueError(f"job {job.name!r}: pass the sha256 of its {f.name} content")
            body[f.name] = {"sha256": hashes[f.name]}
        else:
            body[f.name] = _plain(value)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()

"""The orders `GET /{module}` can list records in (API_NOTES §13 `sort_by` / `sort_order`).

Records stay lazy: ordering yields record numbers and never builds a record. Generated
records were created n minutes after the demo epoch and, until changed, were last modified
then too (DEMO_ORG), so by Created_Time or Modified_Time they are already in record
order; only inserted and changed records need sorting, and are merged into that stream.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from runner.simulator.models.store import RecordStore
from runner.simulator.models.values import created_epoch, instant

SORT_FIELDS = ("id", "Created_Time", "Modified_Time")  # API_NOTES §13: supported_values
SORT_ORDERS = ("asc", "desc")


def ordered(store: RecordStore, sort_by: str, descending: bool) -> Iterator[int]:
    """Live record numbers by `sort_by` (ties by id, in the same direction)."""
    if sort_by == "id":
        return _by_id_desc(store) if descending else store.numbers()
    return _by_time(store, sort_by, descending)


def _by_id_desc(store: RecordStore) -> Iterator[int]:
    deleted = store.deleted
    yield from (n for n in sorted(store.inserted, reverse=True) if n not in deleted)
    yield from (n for n in range(store.generated, 0, -1) if n not in deleted)


def _when(value: object, n: int) -> float:
    return instant(value) if isinstance(value, str) else created_epoch(n)


def _by_time(store: RecordStore, name: str, descending: bool) -> Iterator[int]:
    """Inserted and changed records sorted by their own time, merged with the generated
    ones, which are in order already (their time is `created_epoch(n)`)."""
    deleted = store.deleted
    moved = {n for n, over in store.overrides.items() if name in over and n <= store.generated}
    keyed = [(_when(store.overrides[n][name], n), n) for n in moved if n not in deleted]
    keyed += [(_when(store.get(n, name), n), n) for n in store.inserted if n not in deleted]
    keyed.sort(reverse=descending)
    skip = moved.union(deleted)
    span = range(store.generated, 0, -1) if descending else range(1, store.generated + 1)
    generated = ((created_epoch(n), n) for n in span if n not in skip)
    return (n for _, n in heapq.merge(generated, keyed, reverse=descending))

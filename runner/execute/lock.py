"""One apply at a time per state file: `fcntl.flock` on `<state_dir>/state.lock`.

The kernel holds the lock, not the file: it is released when the owner's process ends,
even by `kill -9`, so a crash never leaves the state locked. The file itself carries the
owner (pid, host, run id, start time) so that
- a second apply while the owner lives fails with `StateLockedError` naming it, and
- the next apply after a crash sees the dead owner's note and reports it as recovered
  (`StateLock.recovered`), instead of silently taking over.
A clean release empties the file; the file is never unlinked, because unlinking a locked
path lets two processes lock two different inodes.

POSIX only (fcntl); flock on network file systems is not reliable, keep `.zcrm/` local.
With the journal in PostgreSQL (ZCRM_STATE_URL) the lock is per org, in the database
instead (lock_pg.py), and this one is not taken.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from runner.errors import StateLockedError

LOCK_NAME = "state.lock"


@dataclass(frozen=True)
class LockOwner:
    """Who holds (or held) the lock."""

    pid: int
    host: str
    run_id: str | None
    started_at: float
    user: str | None = None  # the PostgreSQL lock's holder row has it; the lock file not

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at))
        run = f"run {self.run_id}" if self.run_id else "no run id yet"
        user = f" of user {self.user}" if self.user else ""
        return f"pid {self.pid}{user} on {self.host} ({run}, since {started})"


def _read_owner(fd: int) -> LockOwner | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 4096):
        raw += chunk
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
        return LockOwner(
            pid=int(data["pid"]),
            host=str(data["host"]),
            run_id=None if data.get("run_id") is None else str(data["run_id"]),
            started_at=float(data["started_at"]),
        )
    except (ValueError, KeyError, TypeError):
        return LockOwner(pid=-1, host="unknown (unreadable lock file)", run_id=None, started_at=0)


class StateLock:
    """Exclusive lock on a state directory; use as a context manager or acquire()/release().

    `recovered` is the owner a previous process left behind without releasing (it was
    killed or crashed): the caller should say so, e.g. "recovered a stale lock of ...".
    """

    def __init__(self, state_dir: Path, *, run_id: str | None = None) -> None:
        self.path = Path(state_dir) / LOCK_NAME
        self.run_id = run_id
        self.recovered: LockOwner | None = None
        self.owner: LockOwner | None = None
        self._fd: int | None = None

    def acquire(self) -> StateLock:
        """Take the lock or raise StateLockedError naming the live owner."""
        if self._fd is not None:
            raise RuntimeError("lock already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_owner(fd)
            os.close(fd)
            who = holder.describe() if holder else "another process (owner not written yet)"
            raise StateLockedError(
                f"{self.path.parent} is in use by {who}; wait for it to finish (a second "
                "apply beside it could send the same jobs twice)"
            ) from None
        try:
            self.recovered = _read_owner(fd)
            self.owner = LockOwner(os.getpid(), socket.gethostname(), self.run_id, time.time())
            self._write(fd, self.owner)
        except BaseException:
            os.close(fd)  # closing drops the flock too
            raise
        self._fd = fd
        return self

    def set_run_id(self, run_id: str) -> None:
        """Record the run id once it is known (the lock is taken before the run starts)."""
        if self._fd is None or self.owner is None:
            raise RuntimeError("lock not held")
        self.run_id = run_id
        self.owner = LockOwner(self.owner.pid, self.owner.host, run_id, self.owner.started_at)
        self._write(self._fd, self.owner)

    def release(self) -> None:
        """Empty the owner note (a clean exit) and drop the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    @staticmethod
    def _write(fd: int, owner: LockOwner) -> None:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        note = {k: v for k, v in asdict(owner).items() if k != "user"}
        os.write(fd, json.dumps(note).encode())
        os.fsync(fd)

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

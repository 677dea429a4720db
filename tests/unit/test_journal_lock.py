"""State lock: one apply per state dir, a live owner named, a killed owner's lock recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runner.errors import StateLockedError
from runner.execute.lock import StateLock

ROOT = Path(__file__).resolve().parents[2]  # the checkout, so `runner` imports


def test_second_lock_fails_naming_the_owner(tmp_path: Path) -> None:
    """While one holder lives, another acquire fails and says whose lock it is."""
    with StateLock(tmp_path, run_id="run-a") as first:
        assert first.held
        assert first.recovered is None
        with pytest.raises(StateLockedError, match=rf"pid {os.getpid()} on .*run run-a"):
            StateLock(tmp_path, run_id="run-b").acquire()
    assert not first.held


def test_clean_release_leaves_nothing_to_recover(tmp_path: Path) -> None:
    """After a normal release the next holder sees no stale owner."""
    StateLock(tmp_path).acquire().release()
    with StateLock(tmp_path) as again:
        assert again.recovered is None
    assert (tmp_path / "state.lock").read_bytes() == b""


def test_set_run_id_updates_the_owner_note(tmp_path: Path) -> None:
    """The run id, known only after the lock is taken, shows up for a contender."""
    with StateLock(tmp_path) as lock:
        with pytest.raises(StateLockedError, match="no run id yet"):
            StateLock(tmp_path).acquire()
        lock.set_run_id("20260101-abc")
        with pytest.raises(StateLockedError, match="run 20260101-abc"):
            StateLock(tmp_path).acquire()


def test_killed_owner_lock_is_recovered_and_named(tmp_path: Path) -> None:
    """A SIGKILLed holder blocks while alive; afterwards its lock is taken and reported."""
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from runner.execute.lock import StateLock
        lock = StateLock(Path({str(tmp_path)!r}), run_id="doomed").acquire()
        print("locked", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(StateLockedError, match=rf"pid {child.pid} .*run doomed"):
            StateLock(tmp_path).acquire()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    with StateLock(tmp_path, run_id="next") as lock:
        assert lock.recovered is not None
        assert (lock.recovered.pid, lock.recovered.run_id) == (child.pid, "doomed")
        assert "doomed" in lock.recovered.describe()


def test_unreadable_note_still_blocks_and_recovers(tmp_path: Path) -> None:
    """A garbled owner file is reported as unreadable, never trusted, never fatal."""
    (tmp_path / "state.lock").write_text("{not json")
    with StateLock(tmp_path) as lock:
        assert lock.recovered is not None
        assert lock.recovered.host.startswith("unknown")


def test_acquiring_twice_on_one_object_is_a_bug(tmp_path: Path) -> None:
    """Re-acquiring a held lock object raises instead of deadlocking."""
    with StateLock(tmp_path) as lock, pytest.raises(RuntimeError, match="already held"):
        lock.acquire()


def test_lock_message_never_suggests_a_second_state_dir(tmp_path: Path) -> None:
    """A held lock says to wait, and why; it does not offer another --state-dir (which would
    bypass the lock and the apply-once ledger: issue 8, case 9)."""
    with StateLock(tmp_path), pytest.raises(StateLockedError) as caught:
        StateLock(tmp_path).acquire()
    assert "wait for it to finish" in str(caught.value)
    assert "--state-dir" not in str(caught.value)

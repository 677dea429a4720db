"""How apply and resume run a session to its end, and how the process leaves (issue 13)."""

from __future__ import annotations

import asyncio
import gc
import io
import sys
import threading
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner import cli
from runner.clock import SystemClock
from runner.commands import apply as apply_command
from runner.execute import session
from runner.execute.session import _while_answering, run_to_end
from runner.execute.target import SIM_BASE, SIM_SOURCES, Connection
from runner.simulator.app import create_app
from runner.simulator.seed import build_demo_org
from runner.zoho.auth import Credentials, Target


class _NoRepr:
    """A result whose repr fails the test: 50,000 outcomes' worth, in spirit."""

    def __repr__(self) -> str:
        raise AssertionError("the run's result was formatted")


def test_run_to_end_hands_the_result_back_unformatted() -> None:
    """The result comes back whole; asyncio's ending never formats it (its SIGINT checks
    format the main task's repr, result included, under asyncio.run)."""

    async def session() -> _NoRepr:
        return _NoRepr()

    assert isinstance(run_to_end(session()), _NoRepr)  # type: ignore[arg-type]


def test_run_to_end_raises_what_the_session_raises() -> None:
    """An error of the session reaches the command as it would through asyncio.run."""

    async def session() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        run_to_end(session())  # type: ignore[arg-type]


def test_entry_ends_the_process_with_mains_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script's entry is main(), then the process's end with main's code, the
    heap frozen first in case the interpreter's own exit runs after all."""
    ended: list[int] = []
    monkeypatch.setattr(cli, "main", lambda: 7)
    monkeypatch.setattr(cli, "_end_process", ended.append)
    try:
        assert cli.entry() == 7
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert ended == [7]


class _Ended(Exception):
    """os._exit, stood in for: the test process goes on."""


@pytest.fixture
def ending(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What _end_process did, in order, with os._exit and atexit's run recorded only."""
    done: list[str] = []

    def exit_now(code: int) -> None:
        done.append(f"exit {code}")
        raise _Ended

    monkeypatch.setattr(cli.os, "_exit", exit_now)
    monkeypatch.setattr(cli.atexit, "_run_exitfuncs", lambda: done.append("atexit"))
    return done


def test_the_process_ends_after_atexit_with_the_code(ending: list[str]) -> None:
    with pytest.raises(_Ended):
        cli._end_process(3)
    assert ending == ["atexit", "exit 3"]


def test_a_running_thread_leaves_the_end_to_the_interpreter(ending: list[str]) -> None:
    """Another thread still at work would be cut off by os._exit; the usual exit waits."""
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        cli._end_process(0)
    finally:
        release.set()
        worker.join()
    assert ending == []


def test_a_stream_that_cannot_flush_leaves_the_end_to_the_interpreter(
    ending: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed pipe or a full disk under stdout: the usual exit reports it, as before."""

    class Broken(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Broken())
    cli._end_process(0)
    assert ending == []


async def _answer_later(value: str, *, fail: bool = False) -> str:
    await asyncio.sleep(0.01)
    if fail:
        raise KeyError("the org's error")
    return value


def _local(done: list[str], *, fail: bool = False) -> set[str]:
    done.append(threading.current_thread().name)
    if fail:
        raise OSError("the file's error")
    return {"fingerprint"}


def test_while_answering_runs_the_local_work_in_a_thread() -> None:
    """The local work runs off the event loop's thread, so the loop waits on the socket."""
    done: list[str] = []
    answer = asyncio.run(_while_answering(_answer_later("org"), partial(_local, done)))  # type: ignore[arg-type]
    assert answer == ("org", {"fingerprint"})
    assert len(done) == 1
    assert done != [threading.main_thread().name]


@pytest.mark.parametrize(
    ("call_fails", "local_fails", "error"),
    [(True, False, KeyError), (False, True, OSError), (True, True, KeyError)],
)
def test_while_answering_tells_the_calls_error_first(
    call_fails: bool, local_fails: bool, error: type[Exception]
) -> None:
    """The org's error wins over the file's, as when the files were read after the org
    answered; the thread has finished either way."""
    done: list[str] = []
    with pytest.raises(error):
        asyncio.run(
            _while_answering(
                _answer_later("org", fail=call_fails),  # type: ignore[arg-type]
                partial(_local, done, fail=local_fails),
            )
        )
    assert len(done) == 1


class _OrgWaitsForFingerprints(httpx.AsyncBaseTransport):
    """The simulator, except GET /org answers only once the job fingerprints were taken:
    an apply that took them after the org's answer would never get one."""

    def __init__(self, inner: httpx.AsyncBaseTransport, taken: threading.Event) -> None:
        self.inner, self.taken = inner, taken

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/org"):
            for _ in range(5000):
                if self.taken.is_set():
                    break
                await asyncio.sleep(0.001)
            assert self.taken.is_set(), "the fingerprints waited for the org's answer"
        return await self.inner.handle_async_request(request)


def test_apply_takes_the_fingerprints_while_the_org_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real org's apply hashes its jobs (needed to settle unfinished runs) during GET
    /org's round trip, in a thread, not after it (issue 13)."""
    app = create_app(build_demo_org(), clock=SystemClock())
    taken = threading.Event()
    real = session._prepare

    def prepare(jobs: Any, *, settling: bool) -> set[str]:
        found = real(jobs, settling=settling)
        assert found, "a real org's apply settles unfinished runs: it needs the fingerprints"
        taken.set()
        return found

    def connect(*, sim: bool) -> tuple[Connection, SystemClock]:
        creds = Credentials(access_token=str(app.state.access_token))
        target = Target(SIM_BASE, SIM_BASE, SIM_BASE, creds, dc="sim", sources=SIM_SOURCES)
        transport = _OrgWaitsForFingerprints(httpx.ASGITransport(app=app), taken)
        return Connection(target, transport, "zoho"), SystemClock()

    monkeypatch.setattr(session, "_prepare", prepare)
    monkeypatch.setattr(apply_command, "connect", connect)
    monkeypatch.chdir(tmp_path)
    ids = [f"554023004{n:09d}" for n in range(1, 11)]
    (tmp_path / "ids.csv").write_text("id\n" + "\n".join(ids) + "\n")
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  - name: deals\n    kind: mass_update\n    module: Deals\n"
        "    ids_file: ids.csv\n    values: {Stage: Closed Won}\n    backup: false\n"
    )
    code = cli.main(["apply", "jobs.yaml", "--yes"])
    assert taken.is_set()
    assert code in (0, 3)  # 3: the demo org's locked Deals fail, as designed


def test_a_stream_closed_from_the_start_is_no_reason_to_wait(
    ending: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`zcrm-runner validate x >&-` starts with sys.stdout None: nothing to flush there."""
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(_Ended):
        cli._end_process(0)
    assert ending == ["atexit", "exit 0"]

"""The hostile corpus (`tests/data/hostile/`, its README): what a careless user or an
attacker tries, each case run through the CLI in-process and checked for what must never
happen: an internal error, a lost or overwritten file, a secret in any output, a request
sent before the preflight passed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner import cli

CORPUS = Path(__file__).parents[1] / "data" / "hostile"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/case.yaml"))
KEYS = {"about", "setup", "argv", "env", "exit", "stderr", "stdout", "secrets", "unchanged",
        "absent", "unsent", "sent", "contains"}  # fmt: skip


def load_case(name: str) -> dict[str, Any]:
    case = yaml.safe_load((CORPUS / name / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{name}: case.yaml is not a mapping"
    assert case.keys() <= KEYS, f"{name}: unknown keys {sorted(case.keys() - KEYS)}"
    assert {"about", "argv", "exit"} <= case.keys(), f"{name}: about, argv and exit are needed"
    return case


@contextmanager
def posts_counted(monkeypatch: pytest.MonkeyPatch, bodies: list[bytes]) -> Iterator[list[str]]:
    """Every POST the embedded simulator answers while the block runs; their bodies go
    into `bodies`."""
    import httpx

    seen: list[str] = []
    real = httpx.ASGITransport.handle_async_request

    async def counting(self: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "/oauth/" not in request.url.path:
            seen.append(request.url.path)
            bodies.append(await request.aread())
        return await real(self, request)

    monkeypatch.setattr(httpx.ASGITransport, "handle_async_request", counting)
    yield seen


def every_file(folder: Path) -> Iterator[Path]:
    yield from (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("name", CASES)
def test_hostile_case(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = load_case(name)
    folder = tmp_path / name
    shutil.copytree(CORPUS / name, folder, symlinks=True)
    (folder / "case.yaml").unlink()
    monkeypatch.chdir(folder)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    for key in [k for k in os.environ if k.startswith("ZOHO_")]:
        monkeypatch.delenv(key)
    for key, value in (case.get("env") or {}).items():
        monkeypatch.setenv(key, str(value))
    for argv in case.get("setup") or []:
        assert cli.main([str(a) for a in argv]) in (0, 3), f"setup {argv} failed"
    capsys.readouterr()
    before = {f: (folder / f).read_bytes() for f in case.get("unchanged") or []}
    bodies: list[bytes] = []
    with posts_counted(monkeypatch, bodies) as posts:
        code = cli.main([str(a) for a in case["argv"]])
    out, err = capsys.readouterr()
    where = f"{name} ({case['about']}):\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}"
    assert "internal error" not in err, where
    assert "Traceback" not in err, where
    assert not list(tmp_path.rglob("*crash*")), where
    assert code == case["exit"], where
    for text in case.get("stderr") or []:
        assert text in err, f"{text!r} not in stderr of {where}"
    for text in case.get("stdout") or []:
        assert text in out, f"{text!r} not in stdout of {where}"
    for path, data in before.items():
        assert (folder / path).read_bytes() == data, f"{path} changed: {where}"
    for path in case.get("absent") or []:
        assert not (folder / path).exists(), f"{path} exists: {where}"
    for path, texts in (case.get("contains") or {}).items():
        assert (folder / path).is_file(), f"{path} is not a file: {where}"
        data = (folder / path).read_text(encoding="utf-8")
        for text in texts:
            assert text in data, f"{text!r} not in {path}: {where}"
    if case.get("unsent"):
        assert posts == [], f"sent {posts}: {where}"
    for text in case.get("sent") or []:
        assert any(text.encode() in b for b in bodies), f"{text!r} never sent: {where}"
    for secret in case.get("secrets") or []:
        assert secret not in out, f"{secret} printed: {where}"
        assert secret not in err, f"{secret} printed: {where}"
        for f in every_file(tmp_path):
            assert secret.encode() not in f.read_bytes(), f"{secret} in {f}: {where}"


def test_the_corpus_is_there() -> None:
    """The corpus is not empty, and every case parses with known keys only."""
    assert len(CASES) >= 1
    for name in CASES:
        load_case(name)

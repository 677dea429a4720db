"""`sim serve`: the printed env lines, option errors and signal handling (no real server)."""

from __future__ import annotations

import signal
from typing import Any

import pytest
import uvicorn

from runner.cli import main
from runner.commands import sim


class _FakeSocket:
    """What run() needs of a bound socket, without opening one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.closed = False

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace bind and serve: record what would have been served, on which host."""
    seen: dict[str, Any] = {"socket": _FakeSocket(54321)}

    def fake_bind(host: str, port: int) -> _FakeSocket:
        seen["bind"] = (host, port)
        return seen["socket"]  # type: ignore[no-any-return]

    def fake_serve(app: Any, sock: Any) -> None:
        seen["app"] = app

    monkeypatch.setattr(sim, "bind", fake_bind)
    monkeypatch.setattr(sim, "serve", fake_serve)
    return seen


def _serve(**options: Any) -> int:
    defaults: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "seed": 1,
        "records": 20,
        "faults": "",
        "speed": 1.0,
        "token": "sim-token-fixed",
    }
    return sim.run(**{**defaults, **options})


def test_prints_env_lines(served: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """run() binds first, then prints exactly the four env lines with the bound port."""
    assert _serve(speed=50.0) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "ZOHO_API_DOMAIN=http://127.0.0.1:54321",
        "ZOHO_ACCOUNTS_URL=http://127.0.0.1:54321",
        "ZOHO_UPLOAD_DOMAIN=http://127.0.0.1:54321",
        "ZOHO_ACCESS_TOKEN=sim-token-fixed",
    ]
    assert err == ""
    assert served["bind"] == ("127.0.0.1", 0)
    assert served["app"].state.access_token == "sim-token-fixed"
    assert served["socket"].closed


def test_generated_token_is_the_apps(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --token the printed token is the one the app accepts."""
    _serve(token=None)
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == f"ZOHO_ACCESS_TOKEN={served['app'].state.access_token}"
    assert len(last) > len("ZOHO_ACCESS_TOKEN=") + 8


def test_ipv6_url_has_brackets() -> None:
    """An IPv6 host is bracketed in the printed URLs."""
    assert sim.env_lines("::1", 8030, "t")[0] == "ZOHO_API_DOMAIN=http://[::1]:8030"


def test_non_loopback_host_warns(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Serving on a non-loopback address warns on stderr that /__sim__/ has no auth."""
    assert _serve(host="0.0.0.0") == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "ZOHO_API_DOMAIN=http://0.0.0.0:54321"
    assert err == (
        "zcrm-runner: warning: serving on 0.0.0.0, not loopback; "
        "the simulator's /__sim__/ hooks have no authentication\n"
    )


def test_bad_faults_spec_exits_1(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad --faults spec ends with exit 1 and one clear line, before binding anything."""
    assert main(["sim", "serve", "--port", "0", "--faults", "5xx=2"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "zcrm-runner: --faults: fault 5xx='2': a rate must be between 0 and 1\n"
    assert "bind" not in served


def test_bad_speed_exits_1(served: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """--speed 0 is refused with exit 1."""
    assert main(["sim", "serve", "--speed", "0"]) == 1
    assert capsys.readouterr().err == "zcrm-runner: --speed must be positive, not 0.0\n"


def test_signal_stops_without_reraising() -> None:
    """A SIGTERM inside serve asks uvicorn to exit and is not re-raised afterwards."""
    server = sim._Server(uvicorn.Config(app=None))
    before = signal.getsignal(signal.SIGTERM)
    with server.capture_signals():
        signal.raise_signal(signal.SIGTERM)
    assert server.should_exit
    assert signal.getsignal(signal.SIGTERM) is before

"""docs/SIMULATOR.md documents every `/__sim__/` hook, `sim serve` option and fault key,
and its curl and Python examples work against the simulator."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.routing import Route

from runner import cli
from runner.clock import ManualClock
from runner.simulator import control, faults
from runner.simulator.app import create_app
from runner.simulator.jobs import MACHINES
from runner.simulator.seed import build_demo_org

DOC = (Path(__file__).resolve().parents[2] / "docs" / "SIMULATOR.md").read_text(encoding="utf-8")
BASE = "http://sim.test"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S)


def _curls() -> list[list[str]]:
    """Every curl command of the sh blocks, continuation lines joined, split as a shell."""
    commands = []
    for block in _blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("curl "):
                commands.append(shlex.split(line))
    return commands


def _serve_options() -> set[str]:
    parser = cli.build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sim = verbs.choices["sim"]
    subs = next(a for a in sim._actions if isinstance(a, argparse._SubParsersAction))
    serve = subs.choices["serve"]
    return {o for a in serve._actions for o in a.option_strings if o.startswith("--")} - {"--help"}


def test_every_hook_has_a_section_with_a_curl_example() -> None:
    """Each `/__sim__/` route is a heading `METHOD /__sim__/path`, with a curl for it."""
    routes = [r for r in control.routes() if isinstance(r, Route)]
    assert routes
    urls = [next(a for a in c if "$SIM" in a) for c in _curls()]
    for route in routes:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = f"/__sim__{route.path}"
            assert f"\n### `{method} {path}`\n" in DOC, f"{method} {path} is not documented"
            pattern = re.escape(path).replace(r"\{module\}", "[A-Za-z_]+")
            assert any(re.search(pattern + r"(\?|$)", u) for u in urls), f"no curl for {path}"


def test_every_documented_hook_exists() -> None:
    """No heading documents a hook the simulator does not have."""
    documented = set(re.findall(r"^### `[A-Z]+ (/__sim__/[^`]*)`$", DOC, flags=re.M))
    paths = {f"/__sim__{r.path}" for r in control.routes() if isinstance(r, Route)}
    assert documented == paths


def test_every_curl_example_answers_200() -> None:
    """The curl commands, sent to an in-process simulator on a ManualClock, all succeed."""

    async def run() -> None:
        app = create_app(build_demo_org(), clock=ManualClock())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            for argv in _curls():
                method, headers, body, url = "GET", {}, None, ""
                args = iter(argv[1:])
                for arg in args:
                    if arg == "-X":
                        method = next(args)
                    elif arg == "-H":
                        key, _, value = next(args).partition(":")
                        headers[key.strip()] = value.strip()
                    elif arg == "-d":
                        body = next(args)
                    elif arg.startswith("$SIM"):
                        url = arg.removeprefix("$SIM")
                r = await client.request(method, url, headers=headers, content=body)
                assert r.status_code == 200, (argv, r.text)

    anyio.run(run)


def test_every_serve_option_is_documented() -> None:
    """Each `sim serve` option has a row in the options table."""
    assert _serve_options() == set(re.findall(r"^\| `(--[a-z-]+)` \|", DOC, flags=re.M))


def test_every_fault_key_is_documented() -> None:
    """Each `--faults` key the parser knows has a row in the faults table."""
    section = DOC[DOC.index("\n## Faults\n") :]
    section = section[: section.index("\n## ", 1)]
    rows = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M))
    assert rows == set(faults._KEYS)  # the parser's own table of keys


@pytest.mark.parametrize(
    "spec", sorted(set(re.findall(r"[0-9a-z_]+=[^\s,`\"]+(?:,[0-9a-z_]+=[^\s,`\"]+)+", DOC)))
)
def test_fault_specs_in_the_page_parse(spec: str) -> None:
    """Every fault spec the page shows is one `--faults` accepts."""
    faults.parse_fault_spec(spec)


def test_job_states_are_the_machines() -> None:
    """The states table shows each job kind's machine as runner/simulator/jobs.py has it."""
    for machine in MACHINES.values():
        states = " → ".join((*machine.waiting, machine.working))
        assert f"| {states} → {machine.completed} or {machine.failed} |" in DOC


def test_the_python_example_runs() -> None:
    """The in-process example runs as written (its asserts included)."""
    (source,) = _blocks("python")
    exec(compile(source, "docs/SIMULATOR.md", "exec"), {"__name__": "docs_example"})

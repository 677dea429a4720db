"""A stand-in for the `gh` CLI, run as `gh` by the workflow tests: the few commands our
example workflows call, answered from one JSON file that the test also reads.

    gh api [--method M] [--paginate] [--jq EXPR] [-F k=v | -F k=@file] [--silent] PATH
        GET  repos/R/pulls/N/files · repos/R/issues/N/comments · repos/R/commits/SHA/pulls
        POST repos/R/issues/N/comments · PATCH repos/R/issues/comments/ID
    gh run list [--workflow W] [--branch B] [--commit SHA] [--event E] [--status S]
                [--limit N] [--json FIELDS] [--jq EXPR]
    gh run view ID --json jobs [--jq EXPR]
    gh run download ID --name NAME --dir DIR

Every call is appended to the file's "calls". `--jq` is run by the jq wheel, printing as `jq -r`
(gh prints strings raw, as `jq -r` does). Like gh, it needs GH_TOKEN, answers an unknown
path with HTTP 404 and exit 1, and the `run` commands need a repository (GH_REPO).

`FakeGitHub` is the test's side of the same file: it opens, pushes to and merges pull
requests, puts `gh`, `zcrm-runner` and a `python` that records `pip install` on PATH,
and reads back the comments and calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import jq as pyjq

STATE_ENV = "FAKE_GH_STATE"
BOT = "github-actions[bot]"


def _fail(message: str, code: int = 1) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(code)


def _print(data: Any, jq: str | None) -> None:
    text = json.dumps(data)
    if jq is None:
        print(text)
        return
    try:  # gh embeds its own jq (gojq), so no jq binary is needed: the jq wheel stands in
        values = pyjq.compile(jq).input_text(text).all()
    except ValueError as exc:
        _fail(f"jq: {exc}")
    for value in values:  # as `jq -r`: strings raw, anything else as JSON
        print(value if isinstance(value, str) else json.dumps(value))


def _fields(raw: list[str]) -> dict[str, str]:
    fields = {}
    for item in raw:
        key, _, value = item.partition("=")
        if value.startswith("@"):
            value = Path(value[1:]).read_text(encoding="utf-8")
        fields[key] = value
    return fields


def _files(state: dict[str, Any], number: str, fields: dict[str, str]) -> Any:
    return [{"filename": f} for f in state["pulls"][number]["files"]]


def _list_comments(state: dict[str, Any], number: str, fields: dict[str, str]) -> Any:
    return state["comments"].get(number, [])


def _post_comment(state: dict[str, Any], number: str, fields: dict[str, str]) -> Any:
    state["next_id"] += 1
    comment = {"id": state["next_id"], "user": {"login": BOT}, "body": fields["body"]}
    state["comments"].setdefault(number, []).append(comment)
    return comment


def _patch_comment(state: dict[str, Any], comment_id: str, fields: dict[str, str]) -> Any:
    for comment in (c for cs in state["comments"].values() for c in cs):
        if str(comment["id"]) == comment_id:
            comment["body"] = fields["body"]
            return comment
    _fail(f"gh: Not Found (HTTP 404): PATCH issues/comments/{comment_id}")


def _commit_pulls(state: dict[str, Any], sha: str, fields: dict[str, str]) -> Any:
    return [state["pulls"][str(n)] for n in state["commit_pulls"].get(sha, [])]


_ROUTES: list[tuple[str, str, Callable[[dict[str, Any], str, dict[str, str]], Any]]] = [
    ("GET", r"repos/{repo}/pulls/(\d+)/files", _files),
    ("GET", r"repos/{repo}/issues/(\d+)/comments", _list_comments),
    ("POST", r"repos/{repo}/issues/(\d+)/comments", _post_comment),
    ("PATCH", r"repos/{repo}/issues/comments/(\d+)", _patch_comment),
    ("GET", r"repos/{repo}/commits/(\w+)/pulls", _commit_pulls),
]


def _api(state: dict[str, Any], argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="gh api")
    parser.add_argument("path")
    parser.add_argument("-X", "--method", default=None)
    parser.add_argument("--paginate", action="store_true")
    parser.add_argument("-q", "--jq")
    parser.add_argument("-F", "--field", action="append", default=[])
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args(argv)
    fields = _fields(args.field)
    method = args.method or ("POST" if fields else "GET")
    repo = re.escape(state["repo"])
    path = args.path.lstrip("/")
    for verb, pattern, answer in _ROUTES:
        match = re.fullmatch(pattern.replace("{repo}", repo), path)
        if verb == method and match:
            data = answer(state, match.group(1), fields)
            break
    else:
        _fail(f"gh: Not Found (HTTP 404): {method} {path}")
    if not args.silent:
        _print(data, args.jq)


def _runs(state: dict[str, Any], argv: list[str]) -> None:
    if not os.environ.get("GH_REPO"):
        _fail("failed to determine base repo: no git remotes found (set GH_REPO)")
    if os.environ["GH_REPO"] != state["repo"]:
        _fail(f"HTTP 404: Not Found (repos/{os.environ['GH_REPO']})")
    verb, *rest = argv
    parser = argparse.ArgumentParser(prog=f"gh run {verb}")
    if verb == "list":
        for flag, short in (("--workflow", "-w"), ("--branch", "-b"), ("--commit", "-c")):
            parser.add_argument(flag, short)
        parser.add_argument("--event", "-e")
        parser.add_argument("--status", "-s")
        parser.add_argument("--limit", "-L", type=int, default=20)
        parser.add_argument("--json", required=True)
        parser.add_argument("--jq", "-q")
        args = parser.parse_args(rest)
        if args.workflow and args.workflow not in state["workflows"]:
            _fail(f"could not find any workflows named {args.workflow}")
        runs = sorted(state["runs"], key=lambda r: -r["databaseId"])
        wanted = {
            "workflowName": args.workflow,
            "headBranch": args.branch,
            "headSha": args.commit,
            "event": args.event,
        }
        runs = [r for r in runs if all(v is None or r[k] == v for k, v in wanted.items())]
        if args.status:
            runs = [r for r in runs if args.status in (r["status"], r["conclusion"])]
        keys = args.json.split(",")
        _print([{k: r[k] for k in keys} for r in runs[: args.limit]], args.jq)
        return
    parser.add_argument("run_id", type=int)
    run = next((r for r in state["runs"] if r["databaseId"] == int(rest[0])), None)
    if run is None:
        _fail(f"HTTP 404: Not Found (run {rest[0]})")
    if verb == "view":
        parser.add_argument("--json", required=True)
        parser.add_argument("--jq", "-q")
        args = parser.parse_args(rest)
        _print({k: run[k] for k in args.json.split(",")}, args.jq)
    elif verb == "download":
        parser.add_argument("--name", "-n", required=True)
        parser.add_argument("--dir", "-D", default=".")
        args = parser.parse_args(rest)
        stored = run["artifacts"].get(args.name)
        if stored is None:
            _fail("no valid artifacts found to download")
        shutil.copytree(stored, args.dir, dirs_exist_ok=True)
    else:
        _fail(f"fake gh: unsupported: gh run {verb}")


def main(argv: list[str]) -> None:
    state_file = Path(os.environ[STATE_ENV])
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state["calls"].append(argv)
    state_file.write_text(json.dumps(state), encoding="utf-8")  # recorded even if it fails
    if not os.environ.get("GH_TOKEN"):
        _fail("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN variable.", 4)
    if argv[:1] == ["api"]:
        _api(state, argv[1:])
    elif argv[:1] == ["run"] and len(argv) > 1:
        _runs(state, argv[1:])
    else:
        _fail(f"fake gh: unsupported: gh {' '.join(argv)}")
    state_file.write_text(json.dumps(state), encoding="utf-8")


class FakeGitHub:
    """One repository's pull requests, comments, workflow runs and artifacts."""

    def __init__(self, root: Path, repo: str, workflows: list[str]) -> None:
        self.root = root
        self.state_file = root / "github.json"
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.pip_log = root / "pip.log"
        self.save(
            {
                "repo": repo,
                "workflows": workflows,
                "next_id": 1000,
                "pulls": {},
                "comments": {},
                "commit_pulls": {},
                "runs": [],
                "calls": [],
            }
        )
        self._shim("gh", f'exec "{sys.executable}" "{__file__}" "$@"')
        self._shim("zcrm-runner", f'exec "{sys.executable}" -m runner "$@"')
        # `python -m pip install ...` is recorded, not run: the runner is this checkout.
        self._shim(
            "python",
            f'if [ "$1 $2 $3" = "-m pip install" ]; then\n'
            f'  echo "$@" >> "{self.pip_log}"; exit 0\n'
            f'fi\nexec "{sys.executable}" "$@"',
        )

    def _shim(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        path.chmod(0o755)

    def load(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text(encoding="utf-8")))

    def save(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")

    def open_pull(self, number: int, head_sha: str, files: list[str]) -> None:
        state = self.load()
        state["pulls"][str(number)] = {
            "number": number,
            "head": {"sha": head_sha},
            "merged_at": None,
            "files": files,
        }
        self.save(state)

    def push_to_pull(self, number: int, head_sha: str) -> None:
        state = self.load()
        state["pulls"][str(number)]["head"]["sha"] = head_sha
        self.save(state)

    def merge(self, number: int, merge_sha: str) -> None:
        state = self.load()
        state["pulls"][str(number)]["merged_at"] = "2026-01-01T00:00:00Z"
        state["commit_pulls"][merge_sha] = [number]
        self.save(state)

    def comments(self, number: int) -> list[dict[str, Any]]:
        return list(self.load()["comments"].get(str(number), []))

    def calls(self) -> list[list[str]]:
        return list(self.load()["calls"])


if __name__ == "__main__":
    main(sys.argv[1:])

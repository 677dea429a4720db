"""Manifest files in, validated `Manifest` objects and every located Problem out.

load (YAML + marks) → render (sandboxed templates) → schema → Python rules (ids, files,
names and needs, modules and fields) → model. Every stage reports into one Reporter per
file, so a user sees all errors at once; a file with any error yields no Manifest. A YAML
file that is no manifest at all (`not_a_manifest`) stops after load, with one problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.errors import ManifestError
from runner.manifest.load import Loaded, Locator, load_file, not_a_manifest
from runner.manifest.model import (
    AnyJob,
    BulkReadJob,
    BulkWriteJob,
    FieldMapping,
    KeyPath,
    Location,
    Manifest,
    MassDeleteJob,
    MassUpdateJob,
    Territory,
)
from runner.manifest.problems import Problem
from runner.manifest.render import Renderer
from runner.manifest.rules import Reporter, jobs_of
from runner.manifest.rules_files import Resolved, check_files_and_ids
from runner.manifest.rules_graph import check_graph
from runner.manifest.rules_ids import normalise_id
from runner.manifest.rules_modules import check_modules
from runner.manifest.rules_paths import Claims, RunDirs, check_outputs
from runner.manifest.rules_schema import check_schema


@dataclass(frozen=True)
class Checked:
    """The outcome of validating some files: good manifests and every finding."""

    manifests: tuple[Manifest, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


def check_files(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] | None = None,
    dirs: RunDirs | None = None,
) -> Checked:
    """Validate every file; never raises for bad input. environ defaults to os.environ;
    dirs (the state and report dirs outputs must keep clear of) to `.zcrm` and `reports`."""
    env = os.environ if environ is None else environ
    taken: dict[str, str] = {}
    claims = Claims.of(paths, dirs)
    manifests: list[Manifest] = []
    problems: list[Problem] = []
    for path in paths:
        manifest, found = _check_one(Path(path), env, taken, claims)
        display = str(path)
        problems.extend(sorted(found, key=lambda p: (p.file != display, p.file, p.line, p.col)))
        if manifest is not None:
            manifests.append(manifest)
    return Checked(tuple(manifests), tuple(problems))


def load_manifests(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] | None = None,
    dirs: RunDirs | None = None,
) -> Checked:
    """Like check_files, but raises ManifestError(errors) when any file has an error."""
    checked = check_files(paths, environ=environ, dirs=dirs)
    if checked.errors:
        raise ManifestError(checked.errors)
    return checked


def _check_one(
    path: Path, environ: Mapping[str, str], taken: dict[str, str], claims: Claims
) -> tuple[Manifest | None, list[Problem]]:
    loaded, problems = load_file(path)
    if loaded is None:
        return None, problems
    stranger = not_a_manifest(loaded)
    if stranger is not None:  # its keys are not ours: one problem says it all
        return None, [stranger]
    r = Reporter(loaded.display, path.parent, Locator(loaded.root), loaded.data, problems)
    renderer = Renderer(r, environ)
    data = renderer.render_manifest(loaded.data)
    r.data = data
    check_schema(data, r)
    resolved = check_files_and_ids(data, r)
    check_outputs(data, resolved, r, claims)
    check_graph(data, r, taken)
    check_modules(data, r)
    if r.failed:
        return None, r.problems
    return _build(loaded, data, resolved, r.locator, renderer), r.problems


def _build(
    loaded: Loaded, data: dict[str, Any], resolved: Resolved, loc: Locator, renderer: Renderer
) -> Manifest:
    jobs: list[AnyJob] = []
    for i, job in jobs_of(data):
        line, col = loc.mark(["jobs", i])
        from_env = {p[2:]: n for p, n in renderer.from_env.items() if p[:2] == ("jobs", i)}
        jobs.append(
            _job(i, job, resolved.get(i, {}), Location(loaded.display, line, col), from_env)
        )
    return Manifest(
        path=loaded.path,
        sha256=loaded.sha256,
        version=int(data["version"]),
        jobs=tuple(jobs),
        vars=data.get("vars") or {},
        env_values=renderer.env_values,
    )


def _rid(value: Any) -> str | None:
    return None if value is None else normalise_id(value)


def _territory(value: Any) -> Territory | None:
    if not isinstance(value, dict):
        return None
    return Territory(id=str(_rid(value["id"])), include_child=bool(value.get("include_child")))


def _job(
    i: int,
    job: dict[str, Any],
    res: dict[str, Any],
    location: Location,
    from_env: dict[KeyPath, tuple[str, ...]],
) -> AnyJob:
    common: dict[str, Any] = {
        "name": job["name"],
        "module": job["module"],
        "custom_module": bool(job.get("custom_module", False)),
        "needs": tuple(job.get("needs", ())),
        "index": i,
        "location": location,
        "from_env": from_env,
    }
    kind = job["kind"]
    if kind in ("mass_update", "mass_delete"):
        common.update(
            ids=res.get("ids"),
            ids_file=res.get("ids_file"),
            cvid=_rid(job.get("cvid")),
            territory=_territory(job.get("territory")),
            backup=job.get("backup", True) is not False,
        )
        if kind == "mass_delete":
            return MassDeleteJob(**common)
        over_write = bool(job.get("over_write", False))
        return MassUpdateJob(values=dict(job["values"]), over_write=over_write, **common)
    if kind == "bulk_read":
        return BulkReadJob(
            output=res["output"],
            fields=tuple(job.get("fields", ())),
            criteria=job.get("criteria"),
            cvid=_rid(job.get("cvid")),
            file_type=job.get("file_type", "csv"),
            **common,
        )
    mappings = tuple(
        FieldMapping(
            api_name=m["api_name"],
            column=m.get("column"),
            default_value=m.get("default_value"),
            find_by=m.get("find_by"),
            format=m.get("format"),
        )
        for m in job.get("field_mappings", ())
    )
    return BulkWriteJob(
        operation=job["operation"],
        file=res["file"],
        find_by=job.get("find_by"),
        field_mappings=mappings,
        ignore_empty=bool(job.get("ignore_empty", False)),
        character_encoding=job.get("character_encoding"),
        **common,
    )

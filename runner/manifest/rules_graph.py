"""Job names are unique (across every file validated together) and `needs` form a DAG."""

from __future__ import annotations

from typing import Any

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter, closest, jobs_of


def check_graph(data: dict[str, Any], r: Reporter, taken: dict[str, str]) -> None:
    """Unique names, known `needs`, no cycles; `taken` maps names to where they were seen."""
    names: dict[str, int] = {}
    for i, job in jobs_of(data):
        name = job.get("name")
        if not isinstance(name, str):
            continue
        line, _col = r.locator.mark(["jobs", i, "name"])
        if name in taken:
            msg = f"job name {name!r} is already used at {taken[name]}"
            r.add(["jobs", i, "name"], msg, "unique-names", "rename one of the jobs")
        else:
            taken[name] = f"{r.display}:{line}"
            names.setdefault(name, i)
    edges: dict[str, list[str]] = {}
    for i, job in jobs_of(data):
        needs = job.get("needs")
        name = job.get("name")
        if not isinstance(needs, list) or not isinstance(name, str):
            continue
        for k, need in enumerate(needs):
            if not isinstance(need, str):
                continue
            parts: list[PathPart] = ["jobs", i, "needs", k]
            if need == name:
                r.add(parts, "a job cannot need itself", "needs-known", "remove it")
            elif need not in names:
                guess = closest(need, names)
                fix = f"did you mean {guess!r}?" if guess else "name a job of this manifest"
                r.add(parts, f"needs {need!r}, which is not a job here", "needs-known", fix)
            else:
                edges.setdefault(name, []).append(need)
    for cycle in _cycles(edges, names):
        start = names[cycle[0]]
        msg = f"needs form a cycle: {' → '.join([*cycle, cycle[0]])}"
        r.add(["jobs", start, "needs"], msg, "needs-cycle", "remove one of these needs")


def _cycles(edges: dict[str, list[str]], order: dict[str, int]) -> list[list[str]]:
    """Each cycle once, starting at its earliest job (iterative DFS, no recursion limit)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    found: list[list[str]] = []
    for root in sorted(edges, key=lambda n: order.get(n, 0)):
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, k = stack[-1]
            nexts = edges.get(node, [])
            if k < len(nexts):
                stack[-1] = (node, k + 1)
                nxt = nexts[k]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :]
                    first = min(range(len(cycle)), key=lambda j: order.get(cycle[j], 0))
                    found.append(cycle[first:] + cycle[:first])
                elif not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return found

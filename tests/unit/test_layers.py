"""The shape of runner/ itself: which layer may import which, and one class per name.

docs/CONTRIBUTING.md ("Layers") lists the layers; these tests read the source (ast) and
import every module, so a new import against the grain or a second class of one name
fails here, naming the file.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import runner

ROOT = Path(__file__).resolve().parents[2]

# Modules any layer may import; they import only each other (runner/__init__.py is "runner").
NEUTRAL = frozenset(
    {"runner", "atomic", "clock", "errors", "heap", "outcome", "refs", "results", "timings"}
)

# What each layer of runner/ may import besides itself and the neutral modules
# (docs/CONTRIBUTING.md, "Layers"): dependencies run one way, commands → execute → zoho,
# and report reads results without knowing who made them.
LAYERS: dict[str, frozenset[str]] = {
    "zoho": frozenset(),
    "simulator": frozenset({"zoho"}),
    "manifest": frozenset({"zoho"}),
    "plan": frozenset({"manifest", "zoho"}),
    "report": frozenset(),
    "execute": frozenset({"manifest", "plan", "simulator", "zoho"}),
    "commands": frozenset({"execute", "manifest", "plan", "report", "simulator", "zoho"}),
    "cli": frozenset({"commands"}),
    "docsgen": frozenset({"manifest", "simulator", "zoho"}),  # python -m runner.docsgen
    "__main__": frozenset({"cli"}),
}

# Imports that cross the layers above anyway, each with its reason.
LAYER_EXCEPTIONS = {
    ("runner/errors.py", "manifest"): "ManifestError's Problem type, under TYPE_CHECKING only",
}


def _layer(module: str) -> str | None:
    """`runner.execute.journal` → execute, `runner.results` → results; None outside runner."""
    parts = module.split(".")
    if parts[0] != "runner":
        return None
    return parts[1] if len(parts) > 1 else "runner"


def _imported(node: ast.AST) -> list[str]:
    """The runner modules one node imports: `import`, `from ... import` (a module named
    in `from runner import x` included) and `importlib.import_module("runner....")`."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        if node.module != "runner":
            return [node.module]
        top = ROOT / "runner"
        return [
            f"runner.{a.name}"
            if (top / a.name).is_dir() or (top / f"{a.name}.py").exists()
            else "runner"
            for a in node.names
        ]
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
        arg = node.args[0] if node.args else None
        if isinstance(arg, ast.JoinedStr) and arg.values:
            arg = arg.values[0]  # f"runner.commands.{name}": its constant head
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value.rstrip(".")]
    return []


def _import_edges() -> list[tuple[str, str, str]]:
    """(file, its layer, an imported layer) for every import between layers of runner/."""
    edges = []
    for path in sorted((ROOT / "runner").rglob("*.py")):
        rel = path.relative_to(ROOT)
        layer = _layer(".".join(rel.with_suffix("").parts).removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for module in _imported(node):
                target = _layer(module)
                if target is not None and target != layer:
                    edges.append((rel.as_posix(), str(layer), target))
    return edges


def test_every_module_of_runner_belongs_to_a_layer() -> None:
    """A new package or top-level module is placed in LAYERS or NEUTRAL before it is used."""
    top = {p.stem for p in (ROOT / "runner").iterdir() if p.suffix == ".py" or p.is_dir()}
    top = {"runner" if t == "__init__" else t for t in top} - {"__pycache__"}
    assert not top - NEUTRAL - set(LAYERS)


def test_imports_between_layers_run_one_way() -> None:
    """zoho imports only neutral modules, report never execute, execute never report,
    commands or cli, the simulator and manifest nothing above them, and so on (LAYERS)."""
    wrong = [
        f"{file} imports runner.{target}"
        for file, layer, target in _import_edges()
        if target not in NEUTRAL | LAYERS.get(layer, frozenset())
        and (file, target) not in LAYER_EXCEPTIONS
    ]
    assert not wrong


def test_layer_exceptions_are_still_needed() -> None:
    """Each LAYER_EXCEPTIONS entry names an import that is still there."""
    edges = {(file, target) for file, _, target in _import_edges()}
    assert set(LAYER_EXCEPTIONS) <= edges


def test_no_two_classes_of_runner_share_a_name() -> None:
    """One name per concept: a grep for a class name finds one class (generated ones too)."""
    seen: dict[str, dict[type, str]] = {}  # an alias (`_IR = InvalidRequest`) is one class
    for info in pkgutil.walk_packages(runner.__path__, "runner."):
        if info.name == "runner.__main__":  # importing it runs the CLI
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if isinstance(obj, type) and obj.__module__ == module.__name__:
                seen.setdefault(obj.__name__, {}).setdefault(obj, f"{module.__name__}.{name}")
    assert not {name: sorted(at.values()) for name, at in seen.items() if len(at) > 1}

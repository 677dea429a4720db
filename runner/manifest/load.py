"""Load one manifest file: size cap, UTF-8, YAML composed by PyYAML's (C) safe parser.

The node graph is kept next to the data so that any key path (`jobs[2].values`) can be
located later, on demand: marks cost nothing until a problem needs one. Aliases are
expanded here with a cap, so a billion-laughs file is refused instead of eating memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.manifest.problems import Problem

try:  # the C parser composes nodes several times faster than the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_MANIFEST_BYTES = 50 * 1024 * 1024
MAX_ALIAS_NODES = 10_000

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
_TIMESTAMP, _MERGE = _T + "timestamp", _T + "merge"
_COLLECTIONS = (_T + "seq", _T + "map")  # `!!set`, `!!omap`, `!If [...]`: refused
_TAG_FIX = "remove the tag; manifests hold plain strings, numbers, booleans, lists and maps"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

PathPart = str | int


@dataclass(frozen=True)
class Loaded:
    """A parsed manifest: its data, the node graph for marks, and the hash of its bytes."""

    path: Path
    display: str
    sha256: str
    data: dict[str, Any]
    root: MappingNode


class _AliasBomb(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _problem(display: str, line: int, col: int, message: str, rule: str, fix: str) -> Problem:
    return Problem(display, line, col, "(file)", message, rule, fix)


def load_file(path: Path) -> tuple[Loaded | None, list[Problem]]:
    """Read and parse one manifest; never raises for bad input, returns problems instead."""
    display = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            msg, fix = f"{display} is a folder, not a manifest file", "give a YAML file"
            return None, [_problem(display, 1, 1, msg, "file-unreadable", fix)]
        if size > MAX_MANIFEST_BYTES:
            mb = MAX_MANIFEST_BYTES // (1024 * 1024)
            msg = f"file is {size:,} bytes, over the {MAX_MANIFEST_BYTES:,}-byte ({mb} MB) cap"
            fix = "split the manifest, or move ids into an ids_file"
            return None, [_problem(display, 1, 1, msg, "file-too-large", fix)]
        raw = path.read_bytes()
    except FileNotFoundError:
        fix = "check the path, relative to the current directory"
        return None, [_problem(display, 1, 1, "file not found", "file-missing", fix)]
    except OSError as exc:
        msg = f"cannot read the file: {exc.strerror or type(exc).__name__}"
        return None, [_problem(display, 1, 1, msg, "file-unreadable", "give a readable file")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - raw.rfind(b"\n", 0, exc.start)
        msg = f"byte 0x{raw[exc.start]:02x} is not UTF-8"
        return None, [_problem(display, line, col, msg, "not-utf8", "save the file as UTF-8")]
    text = text.removeprefix("\ufeff")
    problems: list[Problem] = []
    root = _compose(text, display, problems)
    if root is None:
        if not problems:
            fix = "start from jobs.example.yaml"
            problems.append(_problem(display, 1, 1, "file is empty", "file-empty", fix))
        return None, problems
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        line, col = root.start_mark.line + 1, root.start_mark.column + 1
        msg = f"the top level is {kind}, expected a mapping"
        fix = "start with `version: 1` and `jobs:`"
        return None, [_problem(display, line, col, msg, "top-level-mapping", fix)]
    builder = _Builder(display, aliases="&" in text)  # no anchor, no alias: skip counting
    try:
        data = builder.build(root)
    except _AliasBomb as exc:
        mark = exc.node.start_mark
        msg = f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes"
        fix = "write the data out instead of nesting aliases"
        return None, [_problem(display, mark.line + 1, mark.column + 1, msg, "alias-bomb", fix)]
    except RecursionError:
        msg = "nesting is too deep"
        return None, [_problem(display, 1, 1, msg, "yaml-depth", "flatten the document")]
    sha = hashlib.sha256(raw).hexdigest()
    return Loaded(path, display, sha, data, root), builder.problems


def not_a_manifest(loaded: Loaded) -> Problem | None:
    """One problem for a YAML file that is no manifest at all (a CI workflow, a Kubernetes
    object: what a pre-commit `files` pattern may catch), instead of a line per key."""
    data = loaded.data
    if data.get("version") == 1 or isinstance(data.get("jobs"), list):
        return None
    mark = loaded.root.start_mark
    msg = "not a zcrm-runner manifest: no `version: 1` and no `jobs:` list"
    fix = (
        "a manifest starts with `version: 1` and `jobs:`; if a pre-commit `files` pattern "
        "picked this file, narrow the pattern or add `exclude`"
    )
    return _problem(loaded.display, mark.line + 1, mark.column + 1, msg, "not-a-manifest", fix)


def _compose(text: str, display: str, problems: list[Problem]) -> Node | None:
    try:
        node: Node | None = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{what} ({exc.context})"
        fix = "fix the YAML at this line: check indentation, quotes and colons"
        problems.append(_problem(display, line, col, what, "yaml-syntax", fix))
        return None
    except yaml.YAMLError as exc:
        problems.append(_problem(display, 1, 1, str(exc), "yaml-syntax", "fix the YAML"))
        return None
    except RecursionError:
        problems.append(_problem(display, 1, 1, "nesting is too deep", "yaml-depth", "flatten"))
        return None
    return node


class _Builder:
    """Turns nodes into plain data; counts nodes reached again through aliases."""

    def __init__(self, display: str, *, aliases: bool) -> None:
        self.display = display
        self.aliases = aliases
        self.seen: set[int] = set()
        self.aliased = 0
        self.problems: list[Problem] = []

    def _note(self, node: Node, message: str, rule: str, fix: str) -> None:
        mark = node.start_mark
        problem = _problem(self.display, mark.line + 1, mark.column + 1, message, rule, fix)
        self.problems.append(problem)

    def build(self, node: Node) -> Any:
        if self.aliases:
            key = id(node)
            if key in self.seen:
                self.aliased += 1
                if self.aliased > MAX_ALIAS_NODES:
                    raise _AliasBomb(node)
            else:
                self.seen.add(key)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if node.tag not in _COLLECTIONS:
            self._note(node, f"YAML tag {node.tag} is not supported", "yaml-tag", _TAG_FIX)
        if isinstance(node, SequenceNode):
            if not self.aliases:  # the common long list: plain strings, no call per item
                items = node.value
                if all(type(n) is ScalarNode and n.tag == _STR for n in items):
                    return [n.value for n in items]
            return [self.build(item) for item in node.value]
        assert isinstance(node, MappingNode)
        return self.mapping(node)

    def scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag in (_STR, _TIMESTAMP):  # dates stay text: they go to a JSON API as-is
            return value
        if tag == _INT:
            # 19-digit ids must stay exact: int() on the text, never through float
            if value.isdigit() and (value[0] != "0" or value == "0"):
                return int(value)
            return _CONSTRUCTOR.construct_yaml_int(node)
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _CONSTRUCTOR.construct_yaml_bool(node)
        if tag == _FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(node)
        self._note(node, f"YAML tag {tag} is not supported", "yaml-tag", _TAG_FIX)
        return value

    def mapping(self, node: MappingNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in _merge_sources(value_node):
                    built = self.build(source)
                    for k, v in built.items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, ScalarNode):
                self._note(key_node, "a key must be plain text", "key-not-text", "quote the key")
                continue
            key = key_node.value
            if key in out:
                fix = "remove one of them; YAML would silently keep the last"
                self._note(key_node, f"duplicate key {key!r}", "duplicate-key", fix)
            out[key] = self.build(value_node)
        if merged:
            return {**merged, **out}
        return out


def _merge_sources(node: Node) -> list[MappingNode]:
    if isinstance(node, MappingNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [n for n in node.value if isinstance(n, MappingNode)]
    return []


def yaml_reading(node: Node | None) -> str | None:
    """What YAML 1.1 made of a plain scalar that does not read back as its text: `0x7B` →
    "the number 123 (hexadecimal)", `yes` → "true"; None for a plain decimal or a quoted
    string. PyYAML is YAML 1.1: `012` is octal, `1:30` base 60, `1_000` is 1000."""
    if not isinstance(node, ScalarNode) or node.style:  # plain: None, or "" from libyaml
        return None
    text, tag = node.value, node.tag
    if tag == _INT:
        value = _CONSTRUCTOR.construct_yaml_int(node)
        return None if text == str(value) else f"the number {value}{_int_form(text)}"
    if tag == _FLOAT:
        number = _CONSTRUCTOR.construct_yaml_float(node)
        return None if text == repr(number) else f"the number {number!r}"
    if tag == _BOOL:
        return "true" if _CONSTRUCTOR.construct_yaml_bool(node) else "false"
    if tag == _NULL:
        return "null (no value)"
    return None


def _int_form(text: str) -> str:
    digits = text.lstrip("+-").lower()
    if digits.startswith("0x"):
        return " (hexadecimal)"
    if digits.startswith("0b"):
        return " (binary)"
    if ":" in digits:
        return " (base 60)"
    if "_" in digits:
        return " (underscores dropped)"
    if digits.startswith("0") and len(digits) > 1:
        return " (octal)"
    return " (sign dropped)" if text.startswith("+") else ""


class Locator:
    """Finds the node, hence the line and column, of a key path in a loaded manifest."""

    def __init__(self, root: Node) -> None:
        self.root = root

    def mark(self, parts: Sequence[PathPart], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the deepest node on `parts`; of the key itself if asked."""
        node, _ = self._walk(parts, key=key)
        return node.start_mark.line + 1, node.start_mark.column + 1

    def node(self, parts: Sequence[PathPart]) -> Node | None:
        """The node at exactly `parts` (its raw text, style and tag), or None."""
        node, found = self._walk(parts, key=False)
        return node if found else None

    def _walk(self, parts: Sequence[PathPart], *, key: bool) -> tuple[Node, bool]:
        node = self.root
        last = len(parts) - 1
        for i, part in enumerate(parts):
            nxt: Node | None = None
            if isinstance(node, MappingNode) and isinstance(part, str):
                pair = _find_key(node, part)
                if pair is not None:
                    nxt = pair[0] if key and i == last else pair[1]
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                nxt = node.value[part]
            if nxt is None:
                return node, False
            node = nxt
        return node, True


def locator_for(path: Path, sha256: str) -> Locator | None:
    """The Locator of a manifest validated earlier, read again for a check that runs later
    (`plan --online`) and found a problem at one of its keys; None when the file changed
    since (its sha256 differs) or can no longer be read."""
    loaded, _ = load_file(path)
    if loaded is None or loaded.sha256 != sha256:
        return None
    return Locator(loaded.root)


def _find_key(node: MappingNode, name: str, depth: int = 0) -> tuple[Node, Node] | None:
    for key_node, value_node in reversed(node.value):  # the last duplicate wins, as in data
        if key_node.tag != _MERGE and isinstance(key_node, ScalarNode) and key_node.value == name:
            return key_node, value_node
    if depth > 20:
        return None
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            for source in _merge_sources(value_node):
                found = _find_key(source, name, depth + 1)
                if found is not None:
                    return found
    return None

"""docs/MANIFEST.md: the manifest reference, written from `schemas/jobs.schema.json`.

Top-level keys, then each job kind (its keys, its conditional rules, its examples, which
are the schema's own `examples`), then the objects jobs nest (territory, criteria, field
mappings), then an index of the rule slugs `zcrm-runner validate` names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from runner.docsgen.markdown import code, codes, header, sentence, table
from runner.docsgen.schema_facts import (
    Node,
    Schema,
    condition,
    default_text,
    description,
    limits,
    rule_of,
    type_text,
)
from runner.manifest.schema import load_schema

PAGE = "docs/MANIFEST.md"
_HEAD = ("key", "type", "required", "default", "allowed values and limits", "description")
#: Definitions that get a section of their own, and the heading (= anchor) they get.
NESTED = {
    "territory": "territory",
    "criterion": "criteria",
    "criteria_leaf": "criteria-condition",
    "criteria_group": "criteria-group",
    "field_mapping": "field_mappings",
}


def render() -> str:
    """The whole page."""
    schema = Schema(load_schema("jobs"))
    root = schema.root
    kinds: list[str] = list(schema.definition("kind")["enum"])
    lines = header("Manifest reference", "`schemas/jobs.schema.json`")
    lines += [
        # The schema's last sentence speaks to schema authors (`$comment`), not to readers.
        sentence(str(root["description"]).split(" A `$comment`")[0]),
        "",
        "Each check below gives the rule a `validate` message ends with, as in "
        "`jobs.yaml:14:7: jobs[2].values: 4 fields, Deals allows 3 (deals-max-3); ...`; "
        "the [rule index](#rule-index) lists them all.",
        "",
        "The schema itself: `zcrm-runner schema jobs` (editors with yaml-language-server read "
        "it through the `# yaml-language-server: $schema=schemas/jobs.schema.json` line). "
        "`validate` checks more than the schema (ids files, CSV files, modules, fields, "
        "`needs`, output paths); its messages name those rules and the fix.",
        "",
        "Kinds: " + ", ".join(f"[{k}](#{k})" for k in kinds) + ".",
        "",
        "## Top level",
        "",
        *_properties(schema, root, link={}),
        "",
        "## Every job",
        "",
        sentence(schema.definition("job")["description"])
        + f" Required in every job: {codes(schema.definition('job')['required'])}. "
        + sentence(schema.definition("kind")["description"]),
        "",
    ]
    for kind in kinds:
        lines += _kind(schema, kind)
    lines += ["## Nested objects", ""]
    for name, anchor in NESTED.items():
        lines += _nested(schema, name, anchor)
    lines += _rule_index(schema, kinds)
    return "\n".join(lines).rstrip() + "\n"


def _kind(schema: Schema, kind: str) -> list[str]:
    node = schema.definition(kind)
    lines = [f"## {kind}", "", sentence(node["description"]), ""]
    lines += _properties(schema, node, link=NESTED, fixed={"kind": kind})
    rules = list(_rules(schema, node))
    if rules:
        lines += ["", "Rules:", "", *(f"- {r}" for r in rules)]
    for i, example in enumerate(node.get("examples", []), 1):
        title = "Example" if len(node["examples"]) == 1 else f"Example {i}"
        lines += ["", f"{title}:", "", "```yaml", *example_yaml(example).splitlines(), "```"]
    return [*lines, ""]


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as the README's manifests are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def example_yaml(job: Any) -> str:
    """A whole manifest around one example job, as `validate` would read it."""
    text: str = yaml.dump(
        {"version": 1, "jobs": [job]},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
    )
    return text


def _properties(
    schema: Schema, node: Node, *, link: dict[str, str], fixed: dict[str, str] | None = None
) -> list[str]:
    """One row per key. `fixed`: keys whose value the section decides (`kind` of a kind)."""
    required = set(node.get("required", []))
    conditional = dict(_conditionally_required(schema, node))
    rows = []
    for key, sub in node.get("properties", {}).items():
        needed = "yes" if key in required else conditional.get(key, "no")
        allowed = [f"always {code(fixed[key])}"] if fixed and key in fixed else limits(schema, sub)
        rows.append(
            (
                code(key),
                type_text(schema, sub, link),
                needed,
                default_text(schema, sub),
                "; ".join(allowed) or "—",
                sentence(description(schema, sub)),
            )
        )
    return table(_HEAD, rows)


def _conditionally_required(schema: Schema, node: Node) -> Iterator[tuple[str, str]]:
    """`key → when` for keys required only in some cases (selector, if/then)."""
    for part in node.get("allOf", []):
        part_node = schema.resolve(part)
        for alternatives in ("oneOf", "anyOf"):
            options = [o.get("required", []) for o in part_node.get(alternatives, [])]
            keys = [k for req in options for k in req]
            word = "exactly one of" if alternatives == "oneOf" else "at least one of"
            for key in keys:
                yield key, f"{word} {codes(keys)}"
        if "if" in part_node:
            for key in part_node.get("then", {}).get("required", []):
                yield key, condition(part_node["if"]).replace("When", "when", 1)
    for alternatives in ("anyOf", "oneOf"):
        keys = [k for o in node.get(alternatives, []) for k in o.get("required", [])]
        word = "exactly one of" if alternatives == "oneOf" else "at least one of"
        for key in keys:
            yield key, f"{word} {codes(keys)}"


def _rules(schema: Schema, node: Node) -> Iterator[str]:
    """The object's checks that span keys: one-of groups, dependencies, if/then/else."""
    for alternatives, word in (("oneOf", "Exactly one"), ("anyOf", "At least one")):
        if alternatives in node:
            keys = [k for o in node[alternatives] for k in o.get("required", [])]
            yield f"{word} of {codes(keys)}{_slug(node)}."
    for key, dep in node.get("dependencies", {}).items():
        yield f"{code(key)} needs {codes(dep.get('required', []), ' and ')}{_slug(dep)}."
    for part in node.get("allOf", []):
        ref = schema.ref_name(part)
        target = schema.resolve(part)
        if ref is not None:
            yield f"{sentence(target.get('description', ref)).rstrip('.')}{_slug(target)}."
            continue
        if "if" in target:
            when = condition(target["if"])
            yield f"{when}: {_branch(schema, target.get('then', {}))}"
            if "else" in target:
                yield f"Otherwise: {_branch(schema, target['else'])}"


def _branch(schema: Schema, node: Node) -> str:
    """A `then`/`else` in words: what it requires, forbids and limits."""
    parts = []
    required = node.get("required", [])
    if required:
        parts.append(f"{codes(required, ' and ')} required{_slug(node)}")
    forbidden = node.get("not", {}).get("required", [])
    if forbidden:
        parts.append(f"no {codes(forbidden, ' or ')}{_slug(node)}")
    for key, sub in node.get("properties", {}).items():
        said = [str(sub.get("description", "")).rstrip(".")]
        said += [x for x in limits(schema, sub) if not x.startswith("rule ")]
        parts.append(f"{code(key)}: {', '.join(s for s in said if s)}{_slug(sub)}")
    return "; ".join(parts) + "."


def _slug(node: Node) -> str:
    rule = rule_of(node)
    return f" (rule {code(rule)})" if rule else ""


def _nested(schema: Schema, name: str, anchor: str) -> list[str]:
    node = schema.definition(name)
    lines = [f"### {anchor}", "", sentence(node["description"]), ""]
    if "properties" in node:
        lines += [*_properties(schema, node, link=NESTED), ""]
    else:  # criterion: a choice between two definitions
        picks = [schema.ref_name(node.get(k, {})) for k in ("then", "else")]
        lines += [
            "An object with `group` is a "
            + " and any other object a ".join(
                f"[{NESTED[p].replace('criteria-', '')}](#{NESTED[p]})" for p in picks if p
            )
            + ". Groups nest.",
            "",
        ]
    rules = list(_rules(schema, node))
    if rules:
        lines += ["Rules:", "", *(f"- {r}" for r in rules), ""]
    return lines


def _rule_index(schema: Schema, kinds: list[str]) -> list[str]:
    """Each rule slug the schema names, and the sections that check it."""
    found: dict[str, list[str]] = {}
    sections = {"": "top-level", "job": "every-job", **{k: k for k in kinds}, **NESTED}
    for section, anchor in sections.items():
        node = schema.definition(section) if section else schema.root
        for rule in _slugs(schema, node, set(sections)):
            where = found.setdefault(rule, [])
            if anchor not in where:
                where.append(anchor)
    rows = [(code(rule), ", ".join(f"[{a}](#{a})" for a in where)) for rule, where in found.items()]
    lines = ["## Rule index", "", "The rule a `validate` message ends with, and where it is "
             "described above.", "", *table(("rule", "see"), sorted(rows))]  # fmt: skip
    return lines


def _slugs(schema: Schema, node: Any, sections: set[str]) -> Iterator[str]:
    """Rule slugs a section shows: its own and those of the definitions it refers to,
    except definitions with a section of their own."""
    if isinstance(node, dict):
        rule = rule_of(node)
        if rule:
            yield rule
        ref = schema.ref_name(node)
        if ref and ref not in sections:
            yield from _slugs(schema, schema.definition(ref), sections)
        for key, value in node.items():
            if key not in ("definitions", "examples", "default", "enum", "const", "required"):
                yield from _slugs(schema, value, sections)
    elif isinstance(node, list):
        for value in node:
            yield from _slugs(schema, value, sections)


__all__ = ["PAGE", "example_yaml", "render", "type_text"]

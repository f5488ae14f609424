"""A definition as a drawable graph: scopes of states, labelled edges, nested containers.

Built from the raw JSON rather than the parsed model so that an invalid definition can still
be drawn with its problems on it. Every node's id is the JSON pointer of its state, which is
also how validation locates problems, so a diagnostic lands on the deepest state whose
pointer prefixes its location.
"""

from __future__ import annotations

from typing import Any

import orjson

from statewise.asl.diagnostics import Diagnostic, pointer

# Choice rule members that are not the comparison itself.
_RULE_META = frozenset({"Variable", "Next", "Comment", "Assign", "Output"})
_OPERATORS = {
    "Equals": "==",
    "GreaterThan": ">",
    "GreaterThanEquals": ">=",
    "LessThan": "<",
    "LessThanEquals": "<=",
    "Matches": "matches",
}
MAX_LABEL = 48


def _short(text: str, width: int = MAX_LABEL) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _value(value: Any) -> str:
    return orjson.dumps(value).decode() if not isinstance(value, str) else f'"{value}"'


def rule_label(rule: Any) -> str:
    """A Choice rule as people read it: ``$.reply == "yes"``, ``And(2 rules)``."""
    if not isinstance(rule, dict):
        return "?"
    if isinstance(rule.get("Condition"), str):
        return str(rule["Condition"])
    for combinator in ("And", "Or"):
        parts = rule.get(combinator)
        if isinstance(parts, list):
            inner = f" {combinator.lower()} ".join(rule_label(p) for p in parts)
            return f"({inner})"
    if "Not" in rule:
        return f"not {rule_label(rule['Not'])}"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in _RULE_META:
            continue
        if key.startswith("Is"):
            return f"{variable} {key}" if value is True else f"not {variable} {key}"
        operand = _value(value)
        if key.endswith("Path"):
            key, operand = key.removesuffix("Path"), str(value)
        for suffix, symbol in _OPERATORS.items():
            if key.endswith(suffix):
                return f"{variable} {symbol} {operand}"
        return f"{variable} {key} {operand}"
    return variable


def _edge(source: str, target: str | None, kind: str, label: str = "") -> dict[str, Any]:
    edge: dict[str, Any] = {"from": source, "to": target, "kind": kind}
    if label:
        edge["label"] = _short(label)
        if len(label) > MAX_LABEL:
            edge["title"] = label
    return edge


def _scope(raw: Any, base: tuple[str | int, ...]) -> dict[str, Any]:
    """One scope (the machine, a branch or a Map processor): its nodes and edges.

    Edge ends are node ids; ``start`` and ``end`` stand for the scope's own Start and End.
    A target that names no state keeps ``to: null`` and ``missing`` with the name.
    """
    states = raw.get("States") if isinstance(raw, dict) else None
    states = states if isinstance(states, dict) else {}
    ids = {name: pointer(*base, "States", name) for name in states}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def target(source: str, name: Any, kind: str, label: str = "") -> None:
        edge = _edge(source, ids.get(name) if isinstance(name, str) else None, kind, label)
        if edge["to"] is None:
            edge["missing"] = str(name)
        edges.append(edge)

    start = raw.get("StartAt") if isinstance(raw, dict) else None
    target("start", start, "next")
    for name, body in states.items():
        here = (*base, "States", name)
        body = body if isinstance(body, dict) else {}
        node = _node(name, body, here)
        nodes.append(node)
        source = node["id"]
        kind = node["type"]
        if kind == "Choice":
            for number, rule in enumerate(body.get("Choices") or []):
                rule_next = rule.get("Next") if isinstance(rule, dict) else None
                target(source, rule_next, "choice", rule_label(rule) or f"rule {number + 1}")
            if "Default" in body:
                target(source, body["Default"], "default", "Default")
        elif kind in ("Succeed", "Fail"):
            edges.append(_edge(source, "end", "next"))
        elif body.get("End") is True:
            edges.append(_edge(source, "end", "next"))
        elif "Next" in body:
            target(source, body["Next"], "next")
        for catcher in body.get("Catch") or []:
            if isinstance(catcher, dict):
                errors = catcher.get("ErrorEquals")
                label = ", ".join(map(str, errors)) if isinstance(errors, list) else "Catch"
                target(source, catcher.get("Next"), "catch", label)
    return {"nodes": nodes, "edges": edges}


def _node(name: str, body: dict[str, Any], here: tuple[str | int, ...]) -> dict[str, Any]:
    kind = body.get("Type") if isinstance(body.get("Type"), str) else "?"
    node: dict[str, Any] = {"id": pointer(*here), "name": name, "type": kind}
    if isinstance(body.get("Resource"), str):
        node["resource"] = body["Resource"]
    if isinstance(body.get("Comment"), str):
        node["comment"] = body["Comment"]
    if body.get("Retry"):
        node["retry"] = True
    if kind == "Parallel":
        branches = body.get("Branches")
        node["branches"] = [
            _scope(branch, (*here, "Branches", index))
            for index, branch in enumerate(branches if isinstance(branches, list) else [])
        ]
    elif kind == "Map":
        key = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
        node["branches"] = [_scope(body.get(key), (*here, key))]
    return node


def build(definition: Any) -> dict[str, Any]:
    """The graph of a decoded definition (any JSON value; garbage gives an empty graph)."""
    return _scope(definition, ())


def build_text(text: str) -> dict[str, Any]:
    """The graph of a definition's text; malformed JSON gives an empty graph."""
    try:
        return build(orjson.loads(text))
    except orjson.JSONDecodeError:
        return build(None)


def node_ids(graph: dict[str, Any]) -> list[str]:
    """Every state's id, depth first (containers before their contents)."""
    found: list[str] = []
    for node in graph["nodes"]:
        found.append(node["id"])
        for branch in node.get("branches", []):
            found.extend(node_ids(branch))
    return found


def locate(diagnostics: list[Diagnostic], graph: dict[str, Any]) -> list[dict[str, Any]]:
    """Diagnostics as JSON, each with the id of the state it is in (``node``, or None).

    A location belongs to the deepest state whose pointer is a prefix of it, so a problem
    in ``/States/P/Branches/0/StartAt`` marks the Parallel state P.
    """
    ids = sorted(node_ids(graph), key=len, reverse=True)
    located = []
    for d in diagnostics:
        node = next((i for i in ids if d.location == i or d.location.startswith(i + "/")), None)
        located.append({"code": d.code, "message": d.message, "location": d.location, "node": node})
    return located


def scope_owners(graph: dict[str, Any]) -> dict[str, tuple[str | None, int | None, str]]:
    """For each state name: (enclosing Parallel/Map name or None, branch index, type)."""
    owners: dict[str, tuple[str | None, int | None, str]] = {}

    def walk(scope: dict[str, Any], owner: str | None, index: int | None) -> None:
        for node in scope["nodes"]:
            owners.setdefault(node["name"], (owner, index, node["type"]))
            for number, branch in enumerate(node.get("branches", [])):
                walk(branch, node["name"], number)

    walk(graph, None, None)
    return owners

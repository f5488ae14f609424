"""JSONata syntax trees from jsonata-python, for analysis and one rewrite; never evaluated.

The rewrite serves speed: jsonatapy converts a program's *input document* lazily, reading only
what the expression touches, but converts every binding whole before it starts (measured: one
member of a 100-item input costs 2 µs as the document, 70 µs as a binding). So ``$states``
becomes the document: each ``$states`` in the text turns into ``$$`` (the document's root) and
a ``$$`` the author wrote into an unbound name, since Step Functions provides no input
document to read (it is undefined there).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonata as jsonata_python  # type: ignore[import-untyped]

_SYMBOL = jsonata_python.parser.Parser.Symbol
# Attributes that point back up the tree or at the parser, not at children.
_NOT_CHILDREN = frozenset({"_outer_instance", "seeking_parent", "ancestor", "slot", "environment"})
# What a ``$$`` the author wrote becomes: a variable nothing binds.
UNBOUND_ROOT = "$__statewise_no_input"


def parse(text: str) -> Any:
    """The syntax tree of an expression, or None when jsonata-python cannot parse it."""
    try:
        return jsonata_python.Jsonata(text).ast
    except Exception:  # any failure of the reference parser means "no tree"
        return None


def children(node: Any) -> Iterator[tuple[str, Any]]:
    """Each child node with the attribute it hangs from, nested lists flattened."""
    for name, value in vars(node).items():
        if value is None or name in _NOT_CHILDREN:
            continue
        if isinstance(value, _SYMBOL):
            yield name, value
        elif isinstance(value, list | tuple):
            for item in _flatten(value):
                yield name, item


def _flatten(values: Any) -> Iterator[Any]:
    for value in values:
        if isinstance(value, list | tuple):
            yield from _flatten(value)
        elif isinstance(value, _SYMBOL):
            yield value


def _variables(node: Any, seen: set[int]) -> Iterator[Any]:
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.type == "variable":
        yield node
    for _, child in children(node):
        yield from _variables(child, seen)


def _in_code(text: str, token: str) -> int:
    """How often ``token`` occurs as a name outside string literals, quoted names and
    comments: an independent count to check the tree's (regex literals are not skipped, so
    a ``$states`` inside one makes the counts differ and the rewrite is not made)."""
    count, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            i += 1
            while i < n and text[i] != c:
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif text.startswith(token, i):
            after = i + len(token)
            if after >= n or not (text[after].isalnum() or text[after] == "_"):
                count += 1
            i = after
        else:
            i += 1
    return count


@lru_cache(maxsize=4096)
def states_as_document(text: str) -> str | None:
    """``text`` with ``$states`` read from the input document, or None when the rewrite is
    not certain (no tree, a token not where the tree says, ``$states`` bound locally)."""
    tree = parse(text)
    if tree is None:
        return None
    spans: dict[int, tuple[int, str]] = {}
    for node in _variables(tree, set()):
        # A variable node's position is the offset just after its token.
        end = int(node.position)
        if node.value == "states":
            start, replacement = end - len("$states"), "$$"
        elif node.value == "$":
            start, replacement = end - 2, UNBOUND_ROOT
        else:
            continue
        token = text[start:end]
        if token != ("$$" if node.value == "$" else "$states"):
            return None
        spans[start] = (end, replacement)
    found = sum(1 for _, r in spans.values() if r == "$$")
    if found != _in_code(text, "$states"):
        return None
    out: list[str] = []
    at = 0
    for start in sorted(spans):
        end, replacement = spans[start]
        out.append(text[at:start])
        out.append(replacement)
        at = end
    out.append(text[at:])
    return "".join(out)

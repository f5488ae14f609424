"""Definition-time checks of JSONata expressions, with AWS's diagnostic codes and texts.

AWS parses every expression of a JSONata state when a definition is created (observed,
publicly recorded): one that does not parse is ``INVALID_JSONATA_EXPRESSION`` with the
parser's message without its code (``Unexpected end of expression``, ``Expected "]", got
","``); a field read from the context item at the top level of an expression, where Step
Functions provides none, is ``UNSUPPORTED_JSONATA_EXPRESSION``: ``Reference to 'phone' at
the top level is not supported.``; a ``$states`` member read where it does not exist, e.g.
``$states.errorOutput`` outside a catcher, is ``UNSUPPORTED_JSONATA_EXPRESSION``: ``Field
'$states.errorOutput' does not exist.`` (QL-4).

jsonatapy, which runs the expressions, decides whether one parses; jsonata-python, a port
of the Java JSONata that AWS's messages resemble, supplies the syntax tree for the other two
checks and the wording of syntax errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonata as jsonata_python  # type: ignore[import-untyped]
from jsonata import jexception

from statewise.asl.jsonata import JsonataSyntaxError, compile_expression, expression_text
from statewise.asl.jsonata_tree import children, parse

INVALID = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED = "UNSUPPORTED_JSONATA_EXPRESSION"

# Where each ``$states`` member exists (QL-4): ``input`` and ``context`` everywhere.
ALWAYS = frozenset({"input", "context"})
WITH_RESULT = ALWAYS | {"result"}
WITH_ERROR = ALWAYS | {"errorOutput"}

# Attributes of a syntax-tree node that are evaluated with a different context item than the
# node itself (a step's predicates, grouping and sorting read the step's items).
_INNER = frozenset(
    {
        "stages",
        "predicate",
        "group",
        "focus",
        "index",
        "tuple",
        "terms",
        "pattern",
        "update",
        "delete",
    }
)
_TEMPLATE_FIELD = re.compile(r"\{\{\w+\}\}")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an expression: AWS's diagnostic code and message."""

    code: str
    message: str


def _syntax_message(text: str, fallback: JsonataSyntaxError) -> str:
    """The parser's message as AWS words it: jsonata-python's, with its tokens quoted."""
    try:
        jsonata_python.Jsonata(text)
    except jexception.JException as exc:
        template = jexception.JException.error_codes.get(exc.error)
        # The message fills the template's fields from these, in order; AWS quotes tokens.
        args = [a for a in (exc.current, exc.expected, exc.extra) if a is not None]
        fields = template.count("{{") if template else 0
        if template and fields <= len(args):
            quoted = (f'"{a}"' for a in args[:fields])
            return str(_TEMPLATE_FIELD.sub("{}", template).format(*quoted))
        return str(exc)
    except Exception:  # a bug in the reference parser: keep jsonatapy's message
        pass
    return fallback.problem


def _top_level_references(node: Any, top: bool, found: list[str]) -> None:
    """Names read from the context item while it is still the (absent) top-level one."""
    kind = node.type
    if kind == "lambda":
        return  # a function body's context is its caller's: not known here
    if top and kind == "name":
        found.append(str(node.value))
        return
    if top and kind == "variable" and node.value in ("", "$"):
        found.append("$" + str(node.value))
        return
    if kind == "path":
        for i, step in enumerate(node.steps or ()):
            _top_level_references(step, top and i == 0, found)
        for _, child in children(node):
            if child not in (node.steps or ()):
                _top_level_references(child, False, found)
        return
    for name, child in children(node):
        _top_level_references(child, top and name not in _INNER, found)


def _states_members(node: Any, found: list[str]) -> None:
    """Every ``$states.<member>`` the expression reads."""
    if node.type == "path":
        steps: Any = node.steps or ()
        first = steps[0] if steps else None
        if (
            first is not None
            and first.type == "variable"
            and first.value == "states"
            and len(steps) > 1
            and steps[1].type == "name"
        ):
            found.append(str(steps[1].value))
    for _, child in children(node):
        _states_members(child, found)


@lru_cache(maxsize=4096)
def _analyse(text: str) -> tuple[Problem | None, tuple[str, ...], tuple[str, ...]]:
    """(syntax problem, top-level references, ``$states`` members read) of one expression."""
    try:
        compile_expression("{%" + text + "%}")
    except JsonataSyntaxError as exc:
        return Problem(INVALID, _syntax_message(text, exc)), (), ()
    tree = parse(text)
    if tree is None:
        return None, (), ()
    references: list[str] = []
    members: list[str] = []
    _top_level_references(tree, True, references)
    _states_members(tree, members)
    return None, tuple(dict.fromkeys(references)), tuple(dict.fromkeys(members))


def check_expression(source: str, members: frozenset[str] = ALWAYS) -> list[Problem]:
    """The problems of one ``{% %}`` string, where ``members`` of ``$states`` exist."""
    text = expression_text(source)
    if not text:
        return [Problem(INVALID, "Unexpected end of expression")]
    syntax, references, read = _analyse(text)
    if syntax is not None:
        return [syntax]
    problems = [
        Problem(UNSUPPORTED, f"Reference to '{name}' at the top level is not supported.")
        for name in references
    ]
    problems.extend(
        Problem(UNSUPPORTED, f"Field '$states.{member}' does not exist.")
        for member in read
        if member not in members
    )
    return problems

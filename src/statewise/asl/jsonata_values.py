"""JSONata field values: JSON with ``{% %}`` strings anywhere, compiled once (QL-2).

A :class:`Value` is what ``Arguments``, ``Output``, ``Assign``, ``Items``, ``ItemSelector``,
``Condition`` and the scalar fields hold in a JSONata state: any JSON value, in which every
string of the form ``{% <expr> %}`` is an expression and every other string a literal. All
the expressions of one value run in one jsonatapy call (``jsonata.Program``). Failures are
``States.QueryEvaluationError`` with AWS's causes, which name the field as AWS does: ``/``
per object key and ``[i]`` per array index under the field (``Output/a/b[0]``, observed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from statewise.asl.errors import FailureError, StatesError
from statewise.asl.jsonata import (
    UNDEFINED,
    Expression,
    JsonataError,
    JsonataScope,
    Program,
    compile_expression,
    compile_program,
    is_expression,
)
from statewise.types import JSON

# Builds the value from the expressions' results, in document order.
Node = Callable[[list[Any]], Any]


class QueryError(FailureError):
    """A JSONata evaluation failure (States.QueryEvaluationError, QL-6, QL-7).

    Attributes:
        location: the field it happened in, as AWS names it (``Output/v``), for the
            ``EvaluationFailed`` history event (QL-8).
    """

    def __init__(self, cause: str, location: str) -> None:
        super().__init__(StatesError.QUERY_EVALUATION_ERROR, cause)
        self.location = location


def _json(value: JSON) -> str:
    return orjson.dumps(value).decode()


def _quote(expression: Expression, location: str) -> str:
    return f"The JSONata expression '{expression.text}' specified for the field '{location}'"


def undefined(expression: Expression, location: str) -> QueryError:
    """An expression that returned nothing (QL-6, VAR-9)."""
    return QueryError(f"{_quote(expression, location)} returned nothing (undefined).", location)


def threw(expression: Expression, location: str, exc: JsonataError) -> QueryError:
    """An expression that threw (QL-7)."""
    return QueryError(
        f"{_quote(expression, location)} threw an error during evaluation{exc.tail()}", location
    )


def type_name(value: JSON) -> str:
    """JSONata's name for a JSON value's type, as AWS's causes print it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def wrong_type(expression: Expression, location: str, expected: str, value: JSON) -> QueryError:
    """A result of the wrong type for the field (QL-7, ASL-MAP-2)."""
    return QueryError(
        f"{_quote(expression, location)} returned an unexpected result type. Expected "
        f"'{expected}', but was '{type_name(value)}' for value: {_json(value)}",
        location,
    )


@dataclass(frozen=True, slots=True, eq=False)
class Value:
    """A compiled JSONata field value.

    Attributes:
        raw: the value as written.
        location: the field's name as causes give it (``Output``, ``Choices[0]/Assign``).
        constant: whether it holds no expression (its value is ``raw``).
        expression: the expression when the whole value is one, else None.
    """

    raw: JSON
    location: str
    constant: bool
    expression: Expression | None
    _leaves: tuple[tuple[Expression, str], ...] = field(repr=False)
    _program: Program | None = field(repr=False)
    _node: Node = field(repr=False)

    def evaluate(self, scope: JsonataScope) -> JSON:
        """The value for one scope.

        Raises:
            QueryError: an expression threw or returned nothing.
        """
        if self.constant:
            return self.raw
        program = self._program
        if program is None:  # exactly one expression: no program around it
            expression, location = self._leaves[0]
            try:
                result = expression.evaluate(scope)
            except JsonataError as exc:
                raise threw(expression, location, exc) from None
            if self.expression is not None:
                if result is UNDEFINED:
                    raise undefined(expression, location)
                return result
            return self._node([result])
        try:
            results = program.evaluate(scope)
        except JsonataError:
            results = self._one_by_one(scope)
        return self._node(results)

    def _one_by_one(self, scope: JsonataScope) -> list[JSON]:
        """Find the failing expression: AWS reports the first one in document order."""
        results: list[JSON] = []
        for expression, location in self._leaves:
            try:
                result = expression.evaluate(scope)
            except JsonataError as exc:
                raise threw(expression, location, exc) from None
            if result is UNDEFINED:
                raise undefined(expression, location)
            results.append(result)
        raise AssertionError("a program failed but none of its expressions did")  # pragma: no cover

    def expect(self, value: JSON, expected: str) -> QueryError:
        """The wrong-type failure for this value's result (``expected``: 'array', ...)."""
        assert self.expression is not None
        return wrong_type(self.expression, self.location, expected, value)


def _leaf(expression: Expression, location: str, index: int) -> Node:
    def read(results: list[Any]) -> Any:
        value = results[index]
        if value is UNDEFINED:
            raise undefined(expression, location)
        return value

    return read


def _const(value: JSON) -> Node:
    def constant(results: list[Any]) -> Any:
        return value

    return constant


def _compile(value: JSON, location: str, leaves: list[tuple[Expression, str]]) -> Node:
    if isinstance(value, str):
        if not is_expression(value):
            return _const(value)
        leaves.append((compile_expression(value), location))
        return _leaf(leaves[-1][0], location, len(leaves) - 1)
    if isinstance(value, dict):
        start = len(leaves)
        entries = tuple((k, _compile(v, f"{location}/{k}", leaves)) for k, v in value.items())
        if len(leaves) == start:
            return _const(value)

        def build_object(results: list[Any]) -> Any:
            return {k: n(results) for k, n in entries}

        return build_object
    if isinstance(value, list):
        start = len(leaves)
        nodes = tuple(_compile(v, f"{location}[{i}]", leaves) for i, v in enumerate(value))
        if len(leaves) == start:
            return _const(value)

        def build_array(results: list[Any]) -> Any:
            return [n(results) for n in nodes]

        return build_array
    return _const(value)


def compile_value(raw: JSON, location: str) -> Value:
    """Compile a field's value once, at definition load.

    Raises:
        jsonata.JsonataSyntaxError: an expression that does not parse (the validator
            reports these first, with their location).
    """
    leaves: list[tuple[Expression, str]] = []
    node = _compile(raw, location, leaves)
    if not leaves:
        return Value(raw, location, True, None, (), None, node)
    if is_expression(raw):
        return Value(raw, location, False, leaves[0][0], tuple(leaves), None, node)
    if len(leaves) == 1:
        return Value(raw, location, False, None, tuple(leaves), None, node)
    program = compile_program(e for e, _ in leaves)
    return Value(raw, location, False, None, tuple(leaves), program, node)


def optional_value(raw: dict[str, Any], key: str, location: str | None = None) -> Value | None:
    """``raw[key]`` compiled, or None when the field is absent."""
    if key not in raw:
        return None
    return compile_value(raw[key], key if location is None else location)

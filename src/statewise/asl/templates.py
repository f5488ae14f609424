"""Payload templates (Parameters, ResultSelector, ItemSelector): compiled once, expanded fast.

A key ending in ``.$`` takes a Path, a context path, a variable path or an intrinsic call and
loses its suffix in the output; every other value is copied literally, nested objects and
arrays included (PATH-4). Sub-trees without any ``.$`` key compile to constants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from statewise.asl import intrinsics
from statewise.asl.entropy import Entropy
from statewise.asl.errors import FailureError, StatesError
from statewise.asl.paths import Path, PathNotFound, Root, Scope, compile_path
from statewise.types import JSON

# An evaluator of one template node: (scope, entropy) -> value.
Node = Callable[[Scope, Entropy], Any]


def _missing_path(key: str, path: Path, scope: Scope) -> FailureError:
    """States.Runtime for a ``.$`` path that selects nothing (PATH-5)."""
    source = scope.context if path.root is Root.CONTEXT else scope.input
    shown = orjson.dumps(source).decode()
    return FailureError(
        StatesError.RUNTIME,
        f"The JSONPath '{path.text}' specified for the field '{key}' could not be found "
        f"in the input '{shown}'",
    )


def _path_node(key: str, path: Path) -> Node:
    steps = path.steps
    if path.root is Root.INPUT and steps is not None and len(steps) == 1:
        # The most common selector, `$.name`, reads the input dict directly.
        name = steps[0]

        def read_member(scope: Scope, entropy: Entropy) -> Any:
            value = scope.input
            if type(value) is dict and name in value:
                return value[name]
            raise _missing_path(key, path, scope)

        return read_member

    def read(scope: Scope, entropy: Entropy) -> Any:
        try:
            return path.read(scope)
        except PathNotFound:
            raise _missing_path(key, path, scope) from None

    return read


def _intrinsic_node(key: str, call: intrinsics.Intrinsic) -> Node:
    def evaluate(scope: Scope, entropy: Entropy) -> Any:
        try:
            return call.evaluate(scope, entropy)
        except PathNotFound as exc:
            path = compile_path(exc.path)
            raise _missing_path(key, path, scope) from None

    return evaluate


def compile_selector(key: str, text: str) -> Node:
    """Compile the value of a ``.$`` key: a path or an intrinsic call."""
    if intrinsics.is_intrinsic(text):
        return _intrinsic_node(key, intrinsics.compile_intrinsic(text))
    return _path_node(key, compile_path(text))


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled payload template.

    Attributes:
        raw: the template as written.
        constant: whether the template has no ``.$`` key anywhere (its value is ``raw``).
    """

    raw: JSON
    constant: bool
    _node: Node

    def expand(self, scope: Scope, entropy: Entropy) -> JSON:
        """The template's value for one input.

        Raises:
            FailureError: States.Runtime for a missing path, States.IntrinsicFailure from an
                intrinsic function.
        """
        return self._node(scope, entropy)


def _compile(value: JSON) -> tuple[Node, bool]:
    """A node for ``value`` and whether it is constant."""
    if isinstance(value, dict):
        entries: list[tuple[str, Node, bool]] = []
        constant = True
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                entries.append((key[:-2], compile_selector(key, item), False))
                constant = False
            else:
                node, item_constant = _compile(item)
                entries.append((key, node, item_constant))
                constant = constant and item_constant
        if constant:
            return _const(value), True
        frozen = tuple(entries)

        def build_object(scope: Scope, entropy: Entropy) -> Any:
            return {k: n(scope, entropy) for k, n, _ in frozen}

        return build_object, False
    if isinstance(value, list):
        compiled = [_compile(item) for item in value]
        if all(c for _, c in compiled):
            return _const(value), True
        nodes = tuple(n for n, _ in compiled)

        def build_array(scope: Scope, entropy: Entropy) -> Any:
            return [n(scope, entropy) for n in nodes]

        return build_array, False
    return _const(value), True


def _const(value: JSON) -> Node:
    def constant(scope: Scope, entropy: Entropy) -> Any:
        return value

    return constant


def compile_template(raw: JSON) -> Template:
    """Compile a payload template once, at definition load.

    Raises:
        paths.PathSyntaxError, intrinsics.IntrinsicSyntaxError: an invalid ``.$`` value
            (the validator reports these first, with their location).
    """
    node, constant = _compile(raw)
    return Template(raw=raw, constant=constant, _node=node)

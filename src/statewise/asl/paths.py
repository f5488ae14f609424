"""JSONPath for ASL: Paths, Reference Paths and ResultPath writes, compiled once.

A Path has one of three roots (PATH-3): ``$`` the state's input, ``$$`` the context object and
``$name`` a workflow variable. Definite paths made only of ``.name``, ``['name']`` and ``[n]``
steps compile to a tuple of keys read by a plain loop; any other path (wildcards, slices,
filters, deep scan) goes to python-jsonpath, compiled once, and yields a list as Jayway's
indefinite paths do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import jsonpath

from statewise.types import JSON


class Root(Enum):
    """Where a path starts."""

    INPUT = "$"
    CONTEXT = "$$"
    VARIABLE = "$var"


@dataclass(frozen=True, slots=True)
class Scope:
    """What paths read: the state's effective input, the context object and variables."""

    input: JSON
    context: JSON = None
    variables: Mapping[str, JSON] = field(default_factory=dict)


class PathSyntaxError(ValueError):
    """A path string that is not valid JSONPath (or not a valid Reference Path)."""


class PathNotFound(LookupError):
    """A definite path that selects nothing in the value it reads.

    Attributes:
        path: the path's text as written.
        missing: the JSONPath of the first step that could not be followed, in Jayway's
            bracket notation (``$['a']['b']``), for AWS's messages.
    """

    def __init__(self, path: str, missing: str) -> None:
        super().__init__(path)
        self.path = path
        self.missing = missing


Step = str | int

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# Characters allowed in a dot-notation property name of a definite path.
_DOT_NAME = re.compile(r"[^.\[\]()\s*?@'\",:!=<>&|$]+")
_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_QUOTED = re.compile(r"\[\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")\s*\]")


def _parse_steps(text: str, pos: int) -> tuple[Step, ...] | None:
    """Parse definite steps from ``text[pos:]``; None when the rest is not simple."""
    steps: list[Step] = []
    n = len(text)
    while pos < n:
        c = text[pos]
        if c == ".":
            m = _DOT_NAME.match(text, pos + 1)
            if m is None:
                return None
            steps.append(m.group(0))
            pos = m.end()
        elif c == "[":
            m = _INDEX.match(text, pos)
            if m is not None:
                index = int(m.group(1))
                if index < 0:
                    return None
                steps.append(index)
                pos = m.end()
                continue
            m = _QUOTED.match(text, pos)
            if m is None:
                return None
            raw = m.group(1) if m.group(1) is not None else m.group(2)
            steps.append(re.sub(r"\\(.)", r"\1", raw))
            pos = m.end()
        else:
            return None
    return tuple(steps)


def _split_root(text: str) -> tuple[Root, str | None, int]:
    """The root of a path, the variable name for a variable root, and where steps begin."""
    if not text.startswith("$"):
        raise PathSyntaxError(f"path must start with '$': {text}")
    if text.startswith("$$"):
        return Root.CONTEXT, None, 2
    m = _VARIABLE.match(text)
    if m is not None:
        return Root.VARIABLE, m.group(1), m.end()
    return Root.INPUT, None, 1


def _bracket(steps: tuple[Step, ...]) -> str:
    parts = ["$"]
    for s in steps:
        parts.append(f"[{s}]" if isinstance(s, int) else f"['{s}']")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled JSONPath with its root.

    Attributes:
        text: the path as written in the definition.
        root: which value the path reads.
        variable: the variable's name, for a variable root.
        steps: the lookup keys of a definite path; None for an indefinite one.
    """

    text: str
    root: Root
    variable: str | None
    steps: tuple[Step, ...] | None
    _query: Any = field(default=None, repr=False, compare=False)
    _walk: Any = field(default=None, repr=False, compare=False)

    @property
    def definite(self) -> bool:
        """Whether the path names exactly one node (a Reference Path shape)."""
        return self.steps is not None

    def base(self, scope: Scope) -> JSON:
        """The value at the path's root."""
        if self.root is Root.INPUT:
            return scope.input
        if self.root is Root.CONTEXT:
            return scope.context
        name = self.variable
        try:
            return scope.variables[name]  # type: ignore[index]
        except KeyError:
            raise PathNotFound(self.text, f"${name}") from None

    def read(self, scope: Scope) -> JSON:
        """The selected value; a list of matches for an indefinite path.

        Raises:
            PathNotFound: a definite path that does not exist in the value.
        """
        root = self.root
        if root is Root.INPUT:
            value = scope.input
        elif root is Root.CONTEXT:
            value = scope.context
        else:
            value = self.base(scope)
        if self.steps is None:
            # python-jsonpath would parse a str as JSON text; a JSON string has no members.
            return self._query.findall(value) if isinstance(value, dict | list) else []
        try:
            return self._walk(value)
        except (KeyError, IndexError, TypeError):
            raise PathNotFound(self.text, self._missing(value)) from None

    def _missing(self, value: JSON) -> str:
        """Jayway-style text of the first step that cannot be followed."""
        steps = self.steps or ()
        for i, step in enumerate(steps):
            if isinstance(step, str) and type(value) is dict and step in value:
                value = value[step]
            elif isinstance(step, int) and type(value) is list and step < len(value):
                value = value[step]
            else:
                return _bracket(steps[: i + 1])
        return _bracket(steps)  # pragma: no cover - only called when a step failed

    def exists(self, scope: Scope) -> bool:
        """Whether the path selects something (Choice ``IsPresent``)."""
        try:
            found = self.read(scope)
        except PathNotFound:
            return False
        return self.steps is not None or bool(found)


def _walker(steps: tuple[Step, ...]) -> Any:
    """A function following ``steps``; it raises KeyError/IndexError/TypeError when it cannot.

    Type checks keep JSON semantics exact: a string key never indexes a list and an
    integer never indexes an object or a string.
    """

    def walk(value: Any) -> Any:
        for step in steps:
            if isinstance(step, str):
                if type(value) is not dict:
                    raise TypeError
                value = value[step]
            else:
                if type(value) is not list:
                    raise TypeError
                value = value[step]
        return value

    if len(steps) == 1 and type(steps[0]) is str:
        key = steps[0]

        def member(value: Any) -> Any:
            if type(value) is not dict:
                raise TypeError
            return value[key]

        return member
    return walk


def compile_path(text: str) -> Path:
    """Compile a Path (InputPath, OutputPath, ``.$`` values, Choice Variable).

    Raises:
        PathSyntaxError: the text is not a valid JSONPath.
    """
    if not isinstance(text, str):
        raise PathSyntaxError("path must be a string")
    root, variable, pos = _split_root(text)
    steps = _parse_steps(text, pos)
    if steps is not None:
        return Path(text=text, root=root, variable=variable, steps=steps, _walk=_walker(steps))
    rest = text[pos:]
    if root is Root.CONTEXT and rest.startswith("$"):
        raise PathSyntaxError(f"invalid JSONPath: {text}")
    try:
        query = jsonpath.compile("$" + rest)
    except (jsonpath.JSONPathError, ValueError, TypeError) as exc:
        raise PathSyntaxError(f"invalid JSONPath: {text}") from exc
    return Path(text=text, root=root, variable=variable, steps=None, _query=query)


def compile_reference_path(text: str, *, allow_context: bool = True) -> Path:
    """Compile a Reference Path: definite steps only (PATH-2).

    Raises:
        PathSyntaxError: not a path, or a path with wildcards, filters, slices or deep scan.
    """
    path = compile_path(text)
    if not path.definite:
        raise PathSyntaxError(f"'{text}' is not a valid Reference Path")
    if not allow_context and path.root is not Root.INPUT:
        raise PathSyntaxError(f"'{text}' must start with '$.' or be '$'")
    return path


def compile_result_path(text: str) -> Path:
    """Compile a ResultPath: a Reference Path on the state input (never ``$$`` or a variable)."""
    return compile_reference_path(text, allow_context=False)


class ResultPathError(ValueError):
    """A ResultPath that cannot be applied to the input it writes into."""


def write(target: JSON, steps: tuple[Step, ...], value: JSON) -> JSON:
    """Place ``value`` at ``steps`` inside ``target`` and return the new whole (IO-4).

    Objects along the way are copied, never mutated, so a state's raw input stays intact;
    missing object members are created; an existing non-object, or an array index out of
    range, cannot be written through.
    """
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, str):
        if not isinstance(target, dict):
            raise ResultPathError(step)
        copy = dict(target)
        copy[step] = write(target[step] if step in target else {}, rest, value) if rest else value
        return copy
    if not isinstance(target, list) or step >= len(target):
        raise ResultPathError(str(step))
    items = list(target)
    items[step] = write(target[step], rest, value)
    return items

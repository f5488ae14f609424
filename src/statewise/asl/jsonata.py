"""JSONata for ASL: ``{% %}`` expressions compiled once with jsonatapy, bound to ``$states``.

Engine choice (issue 8, measured on this machine in CPU time, compiled once): jsonatapy (Rust)
takes 0.9 µs for a simple path and 14 µs for a filter-and-sum over 20 items, against 153 µs
and 989 µs for the pure-Python jsonata-python (70-170x), and agrees with the JSONata
reference on what statewise relies on (singleton sequences, whole numbers as integers, error
codes in messages); where it does not, ``jsonata_functions`` replaces the function (pinned in
``tests/unit/asl/test_jsonata.py``). jsonata-python serves the validator only: its syntax
tree and its AWS-like parse messages (``jsonata_tree``, ``jsonata_check``).

Step Functions gives an expression no input document: data arrives only as ``$states`` and
the workflow variables. Moving values into Rust costs more than evaluating, so ``$states`` is
passed as jsonatapy's input document, which it converts lazily (only what the expression
reads), with each ``$states`` in the text rewritten to ``$$`` (``jsonata_tree``); variables
are bindings, and only those the text names are bound. A value with several expressions
evaluates them all in one call (``Program``). A program's text is the expressions wrapped in
an object constructor, ``{"0": (e0), "1": (e1)}``: a key that is missing means that expression
was *undefined*, which plain evaluation cannot tell apart from ``null`` (QL-6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

import jsonatapy

from statewise.asl import jsonata_functions, jsonata_tree
from statewise.asl.entropy import Entropy
from statewise.types import JSON

__all__ = [
    "UNDEFINED",
    "Expression",
    "JsonataError",
    "JsonataScope",
    "JsonataSyntaxError",
    "Program",
    "compile_expression",
    "compile_program",
    "expression_text",
    "is_expression",
]


class _Undefined:
    """JSONata's *undefined*: no value at all, unlike JSON ``null``."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()


class JsonataSyntaxError(ValueError):
    """An expression that does not parse.

    Attributes:
        code: JSONata's error code (``S0202``), when the parser gave one.
        problem: the parser's message without the code, as AWS reports it.
    """

    def __init__(self, problem: str, code: str | None = None) -> None:
        super().__init__(f"{code}: {problem}" if code else problem)
        self.code = code
        self.problem = problem


class JsonataError(Exception):
    """An expression that threw during evaluation.

    Attributes:
        code: JSONata's error code (``T1006``), or None for an error without one.
        problem: the message without the code.
    """

    def __init__(self, problem: str, code: str | None = None) -> None:
        super().__init__(f"{code}: {problem}" if code else problem)
        self.code = code
        self.problem = problem

    def tail(self) -> str:
        """How AWS ends its cause: ``. CODE: message`` for a coded error, else ``: message``
        (both forms observed, QL-7)."""
        if self.code:
            return f". {self.code}: {self.problem}"
        return f": {self.problem}"


def is_expression(value: object) -> TypeGuard[str]:
    """Whether a JSON value is a JSONata expression: a whole string ``{% ... %}`` (QL-2)."""
    return type(value) is str and len(value) >= 4 and value[:2] == "{%" and value[-2:] == "%}"


def expression_text(value: str) -> str:
    """The expression between the delimiters, as AWS quotes it in causes."""
    return value[2:-2].strip()


# A parser or evaluator message: "Parse error: S0202: Expected ...", "T1006: ...".
_CODED = re.compile(r"^(?:Parse error: )?(?:Invalid syntax: )?([A-Z]\d{4}): (.*)$", re.S)
# jsonatapy names the token in messages the reference leaves generic: T1006 as AWS quotes it
# has no ": $name" suffix (observed cause ``T1006: Attempted to invoke a non-function``).
_T1006 = "Attempted to invoke a non-function"
_HOST = re.compile(r"^host function raised \w+: (.*)$", re.S)
_VARIABLE = re.compile(r"\$(\w+)")
_STATES_MEMBER = re.compile(r"\$states\b(\s*\.\s*(\w+))?")
_STATES_MEMBERS = frozenset({"input", "result", "errorOutput", "context"})


def _split_message(message: str) -> tuple[str | None, str]:
    host = _HOST.match(message)
    if host is not None:
        message = host.group(1)
    m = _CODED.match(message)
    if m is None:
        return None, message
    code, problem = m.group(1), m.group(2)
    if code == "T1006" and problem.startswith(_T1006):
        problem = _T1006
    return code, problem


def _syntax_error(exc: Exception) -> JsonataSyntaxError:
    code, problem = _split_message(str(exc))
    return JsonataSyntaxError(problem, code)


@dataclass(slots=True)
class JsonataScope:
    """What one state's expressions read: ``$states`` members, variables, clock, entropy.

    ``result`` and ``error_output`` are UNDEFINED where ``$states`` has no such member (QL-4).
    ``now`` is the engine's clock in epoch seconds, for ``$now()``/``$millis()``.
    """

    input: JSON
    context: JSON
    variables: Mapping[str, JSON]
    now: float
    entropy: Entropy
    result: JSON = UNDEFINED
    error_output: JSON = UNDEFINED

    def with_result(self, result: JSON) -> JsonataScope:
        return JsonataScope(
            self.input, self.context, self.variables, self.now, self.entropy, result, UNDEFINED
        )

    def with_error(self, error_output: JSON) -> JsonataScope:
        return JsonataScope(
            self.input, self.context, self.variables, self.now, self.entropy, UNDEFINED,
            error_output,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Needs:
    """The part of a scope a program can read: ``$states`` members and variable names."""

    states: frozenset[str]
    variables: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Needs:
        states: set[str] = set()
        for m in _STATES_MEMBER.finditer(text):
            member = m.group(2)
            # ``$states`` used as a whole value (``$keys($states)``) needs every member.
            states.update(_STATES_MEMBERS if member is None else {member} & _STATES_MEMBERS)
        names = {m.group(1) for m in _VARIABLE.finditer(text)} - {"states"}
        return cls(frozenset(states), frozenset(names))

    def union(self, other: _Needs) -> _Needs:
        return _Needs(self.states | other.states, self.variables | other.variables)


def _states(needs: _Needs, scope: JsonataScope) -> dict[str, Any] | None:
    """The ``$states`` members a program reads; absent ones are left out (undefined)."""
    if not needs.states:
        return None
    states: dict[str, Any] = {}
    for member in needs.states:
        if member == "input":
            states["input"] = scope.input
        elif member == "context":
            if scope.context is not None:
                states["context"] = scope.context
        elif member == "result":
            if scope.result is not UNDEFINED:
                states["result"] = scope.result
        elif scope.error_output is not UNDEFINED:
            states["errorOutput"] = scope.error_output
    return states


def _bind(needs: _Needs, scope: JsonataScope, document: bool) -> tuple[Any, Any]:
    """The input document and bindings for one evaluation."""
    bindings: dict[str, Any] = {}
    variables = scope.variables
    for name in needs.variables:
        # A never-assigned variable stays unbound: it reads as undefined (VAR-9).
        if name in variables:
            bindings[name] = variables[name]
    states = _states(needs, scope)
    if document:
        return states, bindings or None
    if states is not None:
        bindings["states"] = states
    return None, bindings or None


_CURRENT: ContextVar[JsonataScope] = ContextVar("statewise_jsonata_scope")

# Guardrails, so that one expression cannot hang or crash the engine: a non-terminating
# expression fails with D1012, a runaway recursion with D1011 (AWS fails both too, with its
# own limits, observed near 100 levels; ours is looser so as never to refuse what AWS runs).
EVALUATION_TIMEOUT_MS = 10_000
MAX_STACK_DEPTH = 500


@dataclass(frozen=True, slots=True, eq=False)
class Program:
    """Several expressions compiled into one jsonatapy program, evaluated in one call.

    Attributes:
        expressions: the expressions, in the order their values come back.
    """

    expressions: tuple[Expression, ...]
    _compiled: Any = field(repr=False)
    _needs: _Needs = field(repr=False)
    _impure: bool = field(repr=False)
    _document: bool = field(repr=False)
    _keys: tuple[str, ...] = field(repr=False)

    def evaluate(self, scope: JsonataScope) -> list[JSON]:
        """Every expression's value (UNDEFINED where one has none), in order.

        Raises:
            JsonataError: one of the expressions threw; which one is not known (evaluate
                the expressions one by one to find out).
        """
        results = _run(self._compiled, self._needs, self._impure, self._document, scope)
        get = results.get
        return [get(key, UNDEFINED) for key in self._keys]


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """One compiled ``{% %}`` expression.

    Attributes:
        source: the string as written, delimiters included.
        text: the expression itself, as AWS quotes it in causes.
    """

    source: str
    text: str
    _compiled: Any = field(repr=False)
    _needs: _Needs = field(repr=False)
    _impure: bool = field(repr=False)
    # The text programs run: ``text`` with ``$states`` read from the input document when
    # that rewrite could be made (``_document``), else ``text`` with ``$states`` bound.
    _code: str = field(repr=False)
    _document: bool = field(repr=False)

    def evaluate(self, scope: JsonataScope) -> JSON:
        """The expression's value, UNDEFINED when it has none.

        Raises:
            JsonataError: the expression threw (a JSONata error, or one of AWS's functions).
        """
        compiled, needs = self._compiled, self._needs
        return _run(compiled, needs, self._impure, self._document, scope).get("0", UNDEFINED)


def _run(
    compiled: Any, needs: _Needs, impure: bool, document: bool, scope: JsonataScope
) -> dict[str, Any]:
    data, bindings = _bind(needs, scope, document)
    token = _CURRENT.set(scope) if impure else None
    try:
        result = compiled.evaluate(data, bindings)
    except ValueError as exc:
        code, problem = _split_message(str(exc))
        raise JsonataError(problem, code) from None
    except OverflowError:
        # An integer beyond 64 bits cannot cross into Rust; JSONata numbers are doubles.
        result = compiled.evaluate(_as_doubles(data), _as_doubles(bindings))
    except (TypeError, RuntimeError, RecursionError) as exc:
        raise JsonataError(str(exc)) from None
    finally:
        if token is not None:
            _CURRENT.reset(token)
    assert isinstance(result, dict)
    return result


def _as_doubles(value: Any) -> Any:
    if type(value) is int and not -(2**63) <= value < 2**63:
        return float(value)
    if isinstance(value, dict):
        return {k: _as_doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_doubles(v) for v in value]
    return value


def _current() -> JsonataScope:
    return _CURRENT.get()


# jsonatapy's compiled programs may only be dropped on the thread that made them, but the
# garbage collector can free a discarded state machine on any thread (the SQLite worker, a
# task thread). Keeping every program for the life of the process, keyed by its text, means
# none is ever dropped; definitions sharing an expression also share its compilation.
_PROGRAMS: dict[str, tuple[Any, bool]] = {}


def _build(text: str) -> tuple[Any, bool]:
    """Compile wrapped program text (once per process) and register AWS's functions."""
    built = _PROGRAMS.get(text)
    if built is None:
        built = _PROGRAMS[text] = _compile_program(text)
    return built


def _compile_program(text: str) -> tuple[Any, bool]:
    try:
        compiled = jsonatapy.compile(
            text, timeout=EVALUATION_TIMEOUT_MS, max_stack_depth=MAX_STACK_DEPTH
        )
    except ValueError as exc:
        raise _syntax_error(exc) from None
    impure = jsonata_functions.register(compiled, text, _current)
    return compiled, impure


def compile_expression(source: str) -> Expression:
    """Compile one ``{% %}`` string.

    Raises:
        JsonataSyntaxError: the expression is empty or does not parse.
    """
    text = expression_text(source)
    if not text:
        raise JsonataSyntaxError("Unexpected end of expression", "S0207")
    # The bare text must parse on its own: wrapped in parentheses, ``a; b`` would too.
    try:
        jsonatapy.compile(text)
    except ValueError as exc:
        raise _syntax_error(exc) from None
    needs = _Needs.of(text)
    rewritten = jsonata_tree.states_as_document(text)
    if rewritten is not None:
        try:
            compiled, impure = _build(_wrap([rewritten]))
        except JsonataSyntaxError:
            rewritten = None  # e.g. a lambda parameter named $states: keep it a binding
        else:
            return Expression(source, text, compiled, needs, impure, rewritten, True)
    compiled, impure = _build(_wrap([text]))
    return Expression(source, text, compiled, needs, impure, text, False)


def _wrap(texts: list[str]) -> str:
    # The newline ends nothing in JSONata; it keeps a closing parenthesis out of reach of
    # anything unterminated at the end of an expression.
    return "{" + ", ".join(f'"{i}": ({t}\n)' for i, t in enumerate(texts)) + "}"


def compile_program(expressions: Iterable[Expression]) -> Program:
    """One program evaluating ``expressions`` together (already compiled one by one)."""
    items = tuple(expressions)
    document = all(e._document for e in items)
    texts = [e._code if document else e.text for e in items]
    compiled, impure = _build(_wrap(texts))
    needs = _Needs(frozenset(), frozenset())
    for expression in items:
        needs = needs.union(expression._needs)
    keys = tuple(str(i) for i in range(len(items)))
    return Program(items, compiled, needs, impure, document, keys)

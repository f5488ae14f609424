"""Choice rules (JSONPath mode), compiled once into small closures and evaluated per input."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from statewise.asl.paths import Path, PathSyntaxError, Scope, compile_path
from statewise.asl.timestamps import parse_timestamp
from statewise.types import JSON

Test = Callable[[Scope], bool]
Coerce = Callable[[JSON], Any]
Compare = Callable[[Any, Any], bool]


class ChoiceRuleError(ValueError):
    """A Choice rule that cannot be compiled.

    Attributes:
        location: a JSON pointer to the offending member, relative to the top-level rule
            (``""`` is the rule itself, ``"/And/1/NumericEquals"`` a nested operand).
        problem: what is wrong, without the location.
    """

    def __init__(self, problem: str, location: str = "") -> None:
        super().__init__(f"{problem} (at {location})" if location else problem)
        self.location = location
        self.problem = problem


@dataclass(frozen=True, slots=True, eq=False)
class ChoiceRule:
    """A compiled Choice rule.

    Identity equality: two rules with the same ``Next`` may test different things.

    Attributes:
        next: the state to go to when a top-level rule matches; None for a nested rule.
    """

    next: str | None
    _test: Test = field(repr=False)

    def evaluate(self, scope: Scope) -> bool:
        """Whether the rule matches.

        Raises:
            paths.PathNotFound: ``Variable`` (or a ``...Path`` operand) selects nothing; the
                caller fails the execution with ``States.Runtime`` (ASL-CHOICE-5).
        """
        return self._test(scope)


# --- coercions: a value of the operator's type, or None for a type mismatch -----------------


def _as_string(value: JSON) -> str | None:
    return value if type(value) is str else None


def _as_number(value: JSON) -> float | None:
    # type() rather than isinstance(): a JSON boolean is a Python int but never numeric.
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        # Numbers compare as IEEE-754 doubles (ASL-CHOICE-9), so 2**53 + 1 == 2**53; an
        # integer beyond the double range becomes an infinity, as Java's doubleValue() does.
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return None


def _as_boolean(value: JSON) -> bool | None:
    return value if type(value) is bool else None


def _utf16(text: str) -> bytes:
    # Big-endian code units compare bytewise in code-unit order; surrogatepass keeps lone
    # surrogates (valid in JSON text) comparable instead of raising.
    return text.encode("utf-16-be", "surrogatepass")


def _java_order(op: Compare) -> Compare:
    """An ordering on strings as Java's String.compareTo sees them (ASL-CHOICE-7).

    Java compares UTF-16 code units, Python code points; the two disagree only when a
    character outside the BMP meets one in U+E000..U+FFFF, so ASCII takes the fast path.
    """

    def compare(a: str, b: str) -> bool:
        if a.isascii() and b.isascii():
            return op(a, b)
        return op(_utf16(a), _utf16(b))

    return compare


_ORDERINGS: dict[str, Compare] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

# Binary operator -> (coerce, compare, what the literal must be). A coerce turns a JSON value
# into the operator's type, or None on a type mismatch, which is a plain non-match rather than
# an error (ASL-CHOICE-4); a compare works on two coerced values. The ...Path variants reuse
# the same pair with the right-hand side read from a second path instead of a literal coerced
# at compile time. Equality of strings needs no UTF-16 detour; timestamps are aware
# datetimes, which compare as instants across offsets.
_BINARY: dict[str, tuple[Coerce, Compare, str]] = {
    "BooleanEquals": (_as_boolean, operator.eq, "a boolean")
}
for _suffix, _op in _ORDERINGS.items():
    _BINARY["String" + _suffix] = (
        _as_string,
        _op if _suffix == "Equals" else _java_order(_op),
        "a string",
    )
    _BINARY["Numeric" + _suffix] = (_as_number, _op, "a number")
    _BINARY["Timestamp" + _suffix] = (parse_timestamp, _op, "a timestamp")
del _suffix, _op

# Type tests (ASL-CHOICE-6); IsPresent is separate because it must not read a missing path.
_TYPE_TESTS: dict[str, Callable[[JSON], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: type(value) is int or type(value) is float,
    "IsString": lambda value: type(value) is str,
    "IsBoolean": lambda value: type(value) is bool,
    "IsTimestamp": lambda value: parse_timestamp(value) is not None,
}

OPERATORS: frozenset[str] = frozenset(
    {*_BINARY, *(name + "Path" for name in _BINARY), "StringMatches", *_TYPE_TESTS, "IsPresent"}
)
"""Every data-test operator: the 17 binary comparisons, their 16 ``...Path`` variants and
the 6 ``Is*`` tests (ASL-CHOICE-3). The combinators are in ``BOOLEAN_OPERATORS``."""

BOOLEAN_OPERATORS: frozenset[str] = frozenset({"And", "Or", "Not"})
"""The rule combinators, whose operands are nested rules."""

# Nesting beyond this is surely a mistake, and deeper recursion would risk RecursionError
# (compile and evaluate both recurse once per level) instead of a precise message.
_MAX_DEPTH = 200


def _json_type(value: JSON) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "boolean"
    if type(value) is int or type(value) is float:
        return "number"
    if type(value) is str:
        return "string"
    if type(value) is list:
        return "array"
    if type(value) is dict:
        return "object"
    return type(value).__name__


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a ``StringMatches`` pattern (ASL-CHOICE-8); match it with ``fullmatch``.

    Only ``*`` is special (any run of characters, empty included). ``\\*`` is a literal star
    and ``\\\\`` a literal backslash; any other backslash stands for itself, and ``?``, ``[``
    and ``]`` are ordinary characters, so fnmatch would be wrong.
    """
    segments: list[str] = []
    current: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n and pattern[i + 1] in "*\\":
            current.append(pattern[i + 1])
            i += 2
            continue
        if char == "*":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    segments.append("".join(current))
    if len(segments) == 1:
        return re.compile(re.escape(segments[0]), re.DOTALL)
    first, *middle, last = segments
    # Taking each middle segment at its leftmost occurrence is always optimal for a glob, so
    # atomic groups can forbid retrying them. Plain ".*?a.*?b" backtracks polynomially in the
    # number of stars on a near miss, which an input string could exploit.
    body = "".join(f"(?>.*?{re.escape(part)})" for part in middle if part)
    return re.compile(f"{re.escape(first)}{body}.*{re.escape(last)}", re.DOTALL)


def _path(raw: JSON, location: str) -> Path:
    if type(raw) is not str:
        raise ChoiceRuleError(f"must be a path string, got {_json_type(raw)}", location)
    try:
        return compile_path(raw)
    except PathSyntaxError as exc:
        raise ChoiceRuleError(str(exc), location) from None


def _binary(variable: Path, name: str, operand: JSON, location: str) -> Test:
    if name.endswith("Path") and name not in _BINARY:
        coerce, compare, _ = _BINARY[name[: -len("Path")]]
        other = _path(operand, location)

        def test_path(scope: Scope) -> bool:
            # Both paths are read before any type check, so a missing right-hand path fails
            # the execution whatever the left-hand value is, as a missing Variable does.
            left = coerce(variable.read(scope))
            right = coerce(other.read(scope))
            return left is not None and right is not None and compare(left, right)

        return test_path

    coerce, compare, expected = _BINARY[name]
    right = coerce(operand)
    if right is None:
        raise ChoiceRuleError(f"must be {expected}, got {_describe(operand)}", location)

    def test_literal(scope: Scope) -> bool:
        left = coerce(variable.read(scope))
        return left is not None and compare(left, right)

    return test_literal


def _describe(value: JSON) -> str:
    if type(value) is str:
        return f"the string {value!r}"
    return _json_type(value)


def _matches(variable: Path, operand: JSON, location: str) -> Test:
    if type(operand) is not str:
        raise ChoiceRuleError(f"must be a string, got {_json_type(operand)}", location)
    match = _compile_pattern(operand).fullmatch

    def test(scope: Scope) -> bool:
        value = variable.read(scope)
        return type(value) is str and match(value) is not None

    return test


def _type_test(variable: Path, name: str, operand: JSON, location: str) -> Test:
    if type(operand) is not bool:
        raise ChoiceRuleError(f"must be true or false, got {_json_type(operand)}", location)
    expected: bool = operand
    if name == "IsPresent":
        # IsPresent alone may meet a missing path; a present null counts as present.
        return lambda scope: variable.exists(scope) is expected
    check = _TYPE_TESTS[name]
    return lambda scope: check(variable.read(scope)) is expected


def _all(tests: tuple[Test, ...]) -> Test:
    def test(scope: Scope) -> bool:
        for child in tests:
            if not child(scope):
                return False
        return True

    return test


def _any(tests: tuple[Test, ...]) -> Test:
    def test(scope: Scope) -> bool:
        for child in tests:
            if child(scope):
                return True
        return False

    return test


def _combination(raw: dict[str, JSON], name: str, location: str, depth: int) -> Test:
    if "Variable" in raw:
        raise ChoiceRuleError(f"Variable is not allowed beside {name}", f"{location}/Variable")
    operand = raw[name]
    here = f"{location}/{name}"
    if name == "Not":
        if type(operand) is not dict:
            raise ChoiceRuleError(f"must be a Choice rule object, got {_json_type(operand)}", here)
        inner = _compile(operand, here, depth + 1)
        return lambda scope: not inner(scope)
    if type(operand) is not list or not operand:
        raise ChoiceRuleError(
            f"must be a non-empty array of Choice rules, got {_describe_array(operand)}", here
        )
    tests = tuple(_compile(rule, f"{here}/{i}", depth + 1) for i, rule in enumerate(operand))
    return _all(tests) if name == "And" else _any(tests)


def _describe_array(value: JSON) -> str:
    return "an empty array" if value == [] else _json_type(value)


def _compile(raw: JSON, location: str, depth: int) -> Test:
    if depth > _MAX_DEPTH:
        raise ChoiceRuleError(f"Choice rules nest deeper than {_MAX_DEPTH} levels", location)
    if type(raw) is not dict:
        raise ChoiceRuleError(f"a Choice rule must be an object, got {_json_type(raw)}", location)
    if depth > 0 and "Next" in raw:
        raise ChoiceRuleError("Next is not allowed in a nested Choice rule", f"{location}/Next")
    found = [key for key in raw if key in OPERATORS or key in BOOLEAN_OPERATORS]
    if not found:
        raise ChoiceRuleError(
            "a Choice rule needs a comparison operator or And, Or, Not; found none", location
        )
    if len(found) > 1:
        raise ChoiceRuleError(
            f"a Choice rule takes exactly one operator, found {', '.join(found)}", location
        )
    name = found[0]
    if name in BOOLEAN_OPERATORS:
        return _combination(raw, name, location, depth)
    if "Variable" not in raw:
        raise ChoiceRuleError(f"{name} needs a Variable", location)
    variable = _path(raw["Variable"], f"{location}/Variable")
    operand = raw[name]
    here = f"{location}/{name}"
    if name == "StringMatches":
        return _matches(variable, operand, here)
    if name in _TYPE_TESTS or name == "IsPresent":
        return _type_test(variable, name, operand, here)
    return _binary(variable, name, operand, here)


def compile_rule(raw: dict[str, JSON]) -> ChoiceRule:
    """Compile one rule of a Choice state's ``Choices`` (JSONPath mode).

    Args:
        raw: a top-level rule, which may carry ``Next``, or a nested one, which may not.
            Members other than ``Variable``, ``Next`` and the operator (``Comment``,
            ``Assign``) are left to the caller.

    Raises:
        ChoiceRuleError: a malformed rule: no operator or several, a missing or invalid
            ``Variable``, an operand of the wrong type, ``Next`` inside a nested rule.
    """
    test = _compile(raw, "", 0)
    next_state = raw.get("Next")
    if "Next" in raw and type(next_state) is not str:
        raise ChoiceRuleError(f"must be a state name, got {_json_type(next_state)}", "/Next")
    return ChoiceRule(next=next_state, _test=test)

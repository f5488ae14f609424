"""Intrinsic functions (``States.Format(...)`` and friends), parsed once and evaluated often.

An intrinsic compiles to a small tree of literal, path and call nodes; each call node holds the
plain Python function that implements it, picked from ``_FUNCTIONS`` at compile time, so
evaluation never re-reads the text. Where AWS behaves differently from its documentation the
code follows AWS and cites the checklist ID (FN-n) next to the quirk.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from statewise.asl.entropy import Entropy
from statewise.asl.errors import FailureError, StatesError
from statewise.asl.paths import Path, PathSyntaxError, Scope, compile_path
from statewise.types import JSON

# Those allowed in a Fail state's ErrorPath/CausePath (ASL-FAIL, FN-0).
_STRING_RESULTS = "Format JsonToString ArrayGetItem Base64Encode Base64Decode Hash UUID"
STRING_RESULT_FUNCTIONS = frozenset(f"States.{name}" for name in _STRING_RESULTS.split())

# Q-21. The docs' own example of "nine nested intrinsic functions" has nine calls in all but
# is only five deep, so the limit counts every call in the field, not the depth.
MAX_CALLS = 10
MAX_RANGE_ITEMS = 1000
MAX_TEXT_CHARS = 10_000
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
# AWS's algorithm names, spelled and cased exactly, to hashlib's ("SHA-256" -> "sha256").
_HASHES = {n: n.replace("-", "").lower() for n in ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512")}

_SHAPE = re.compile(r"States\.[A-Za-z0-9]+\s*\(")
_NAME = re.compile(r"(States\.[A-Za-z0-9]+)\s*(\(?)")
_SCALAR = re.compile(r"(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)(?=[\s,)]|$)")
_TOKEN = re.compile(r"[^\s,()]+")
_ESCAPABLE = "'{}\\"  # the only characters a backslash may escape in a literal (FN-0)


class IntrinsicSyntaxError(ValueError):
    """An intrinsic that cannot be compiled; the message says what is wrong and where.

    Attributes:
        offset: the 0-based character offset in the intrinsic's text of the problem.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def is_intrinsic(text: str) -> bool:
    """Whether a ``.$`` value is shaped like an intrinsic call rather than a path."""
    return isinstance(text, str) and _SHAPE.match(text) is not None


# --- the compiled tree -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Literal:
    """A constant argument; ``raw`` keeps a string's brace escapes for States.Format."""

    value: JSON
    raw: str | None = None

    def evaluate(self, scope: Scope, entropy: Entropy) -> JSON:
        return self.value


@dataclass(frozen=True, slots=True)
class _PathArg:
    """A path argument, read from the scope at evaluation."""

    path: Path

    def evaluate(self, scope: Scope, entropy: Entropy) -> JSON:
        return self.path.read(scope)


@dataclass(frozen=True, slots=True)
class _Args:
    """A call's evaluated arguments, with checks whose failures name the function."""

    name: str
    values: list[JSON]
    entropy: Entropy

    def fail(self, detail: str) -> FailureError:
        # AWS's causes start "Invalid arguments in States.X"; the detail after it is ours.
        # The docs name States.IntrinsicFailure for these, but AWS reports States.Runtime
        # (observed, checklist FN-0): the observed behaviour wins, so they are uncatchable.
        return FailureError(StatesError.RUNTIME, f"Invalid arguments in {self.name}: {detail}")

    def of(self, i: int, kind: type[_T], what: str) -> _T:
        value = self.values[i]
        if not isinstance(value, kind):
            raise self.fail(f"{what} must be {_KIND_NAMES[kind]} but is {_describe(value)}")
        return value

    def text(self, i: int, what: str) -> str:
        """A string argument of a function that caps its input at 10,000 characters (Q-21)."""
        text = self.of(i, str, what)
        if len(text) > MAX_TEXT_CHARS:
            raise self.fail(f"{what} has {len(text)} characters; at most {MAX_TEXT_CHARS}")
        return text

    def number(self, i: int, what: str) -> int | float:
        value = self.values[i]
        # bool is an int in Python but never a number in JSON.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{what} must be a number but is {_describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(f"{what} must be a finite number")
        return value

    def integer(self, i: int, what: str) -> int:
        """A number cut toward zero, as AWS treats every integer argument but MathAdd's
        (observed: ArrayGetItem index 1.2 reads item 1, ArrayPartition size 2.6 makes pairs)."""
        return int(self.number(i, what))


_T = TypeVar("_T")
_KIND_NAMES: dict[type, str] = {str: "a string", list: "an array", dict: "an object"}
Implementation = Callable[[_Args], JSON]


def _describe(value: JSON) -> str:
    if isinstance(value, bool):
        return "a boolean"
    kinds = {type(None): "null", int: "a number", float: "a number", **_KIND_NAMES}
    return kinds.get(type(value), type(value).__name__)


@dataclass(frozen=True, slots=True)
class _Call:
    """A call of one function; ``template`` is a literal Format template with its escapes."""

    name: str
    args: tuple[_Node, ...]
    implementation: Implementation = field(repr=False, compare=False)
    template: str | None = None

    def evaluate(self, scope: Scope, entropy: Entropy) -> JSON:
        values = [arg.evaluate(scope, entropy) for arg in self.args]
        if self.template is not None:
            values[0] = self.template
        return self.implementation(_Args(self.name, values, entropy))


_Node = _Literal | _PathArg | _Call


def _paths(node: _Node) -> Iterator[Path]:
    if isinstance(node, _PathArg):
        yield node.path
    elif isinstance(node, _Call):
        for arg in node.args:
            yield from _paths(arg)


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A compiled intrinsic call.

    Attributes:
        text: the intrinsic as written in the definition.
        name: the outermost function's name, e.g. ``States.Format``.
    """

    text: str
    name: str
    _root: _Call = field(repr=False, compare=False)

    def evaluate(self, scope: Scope, entropy: Entropy) -> JSON:
        """Compute the call's value.

        Raises:
            FailureError: ``States.Runtime`` (as AWS reports it) for an argument of the wrong
                type or out of range, or a function that fails on its input (bad JSON).
            PathNotFound: a path argument selects nothing; the caller reports States.Runtime.
        """
        return self._root.evaluate(scope, entropy)

    def paths(self) -> tuple[Path, ...]:
        """Every path argument, nested calls included, in textual order."""
        return tuple(_paths(self._root))


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse an intrinsic call once.

    Raises:
        IntrinsicSyntaxError: bad syntax, an unknown function, the wrong number of arguments,
            a JsonToString argument that is not a path, or more than 10 calls in the field.
    """
    parser = _Parser(text)
    root = parser.call()
    parser.skip_space()
    if parser.pos < len(text):
        raise parser.fail(f"unexpected {text[parser.pos]!r} after the closing parenthesis")
    return Intrinsic(text=text, name=root.name, _root=root)


# --- parsing ---------------------------------------------------------------------------------


class _Parser:
    """A recursive-descent parser over one field's text; ``pos`` is the next character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.calls = 0

    def fail(self, message: str, offset: int | None = None) -> IntrinsicSyntaxError:
        at = self.pos if offset is None else offset
        return IntrinsicSyntaxError(f"{message} at offset {at}", at)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> _Call:
        start = self.pos
        m = _NAME.match(self.text, start)
        if m is None:
            raise self.fail("expected an intrinsic function name like 'States.Format'")
        name = m.group(1)
        if name not in _FUNCTIONS:
            raise self.fail(f"unknown intrinsic function {name!r}", start)
        self.calls += 1
        if self.calls > MAX_CALLS:
            message = f"more than {MAX_CALLS} intrinsic functions in one field ({name} is one)"
            raise self.fail(message, start)
        self.pos = m.end()
        if not m.group(2):
            raise self.fail(f"expected '(' after {name}")
        args = self.arguments(name)
        low, high, implementation = _FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            expected = f"at least {low}" if high is None else f"{low} or {high}"
            expected = str(low) if low == high else expected
            noun = "argument" if (high or low) == 1 else "arguments"
            raise self.fail(f"{name} expects {expected} {noun} but got {len(args)}", start)
        if name == "States.JsonToString" and not isinstance(args[0], _PathArg):
            raise self.fail("States.JsonToString expects a path argument", start)
        first = args[0] if args else None
        # A literal template keeps its brace escapes; a non-string literal has no raw text.
        template = first.raw if name == "States.Format" and isinstance(first, _Literal) else None
        return _Call(name, tuple(args), implementation, template)

    def arguments(self, name: str) -> list[_Node]:
        args: list[_Node] = []
        self.skip_space()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return args
        while True:
            if self.pos < len(self.text):
                args.append(self.argument())
                self.skip_space()
            if self.pos >= len(self.text):
                raise self.fail(f"unexpected end of text: {name} is missing its ')'")
            c = self.text[self.pos]
            self.pos += 1
            if c == ")":
                return args
            if c != ",":
                raise self.fail(f"expected ',' or ')' but found {c!r}", self.pos - 1)

    def argument(self) -> _Node:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of text, expected an argument")
        c = self.text[self.pos]
        if c == "'":
            return self.string()
        if c == "$":
            return self.path()
        if self.text.startswith("States.", self.pos):
            return self.call()
        # A number or keyword must end at a space, ',' or ')', so ``12ab`` is not ``12``.
        m = _SCALAR.match(self.text, self.pos)
        if m is not None:
            self.pos = m.end()
            return _Literal(json.loads(m.group(0)))  # JSON's grammar for these tokens
        found = _TOKEN.match(self.text, self.pos)
        raise self.fail(
            f"unexpected {found.group(0) if found else c!r}: an argument is a 'string', "
            "a number, true, false, null, a path or an intrinsic function"
        )

    def string(self) -> _Literal:
        start = self.pos
        self.pos += 1
        raw: list[str] = []  # the text with every escape but \' kept, for States.Format
        while self.pos < len(self.text):
            c = self.text[self.pos]
            self.pos += 1
            if c == "'":
                text = "".join(raw)
                return _Literal(re.sub(r"\\(.)", r"\1", text), text)
            if c != "\\":
                raw.append(c)
                continue
            escaped = self.text[self.pos : self.pos + 1]
            if not escaped or escaped not in _ESCAPABLE:
                # The docs make an "open" backslash an error: only ' { } \ may be escaped.
                raise self.fail(
                    f"invalid escape '\\{escaped}' in a string literal "
                    "(only \\', \\{, \\} and \\\\ are allowed)",
                    self.pos - 1,
                )
            self.pos += 1
            raw.append(escaped if escaped == "'" else c + escaped)
        raise self.fail("unterminated string literal", start)

    def path(self) -> _PathArg:
        """A path runs to the first ',', ')' or space outside brackets and quotes."""
        start, text = self.pos, self.text
        depth, quote = 0, ""
        while self.pos < len(text):
            c = text[self.pos]
            if quote:
                if c == "\\":
                    self.pos += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"" and depth:
                quote = c
            elif c in "[]":
                depth += 1 if c == "[" else -1
            elif not depth and (c in ",)" or c.isspace()):
                break
            self.pos += 1
        source = text[start : self.pos]
        if quote or depth:
            raise self.fail(f"unterminated bracket in path {source!r}", start)
        try:
            return _PathArg(compile_path(source))
        except PathSyntaxError as exc:
            raise self.fail(f"invalid path {source!r} ({exc})", start) from exc


# --- the functions -----------------------------------------------------------------------------


# In a Format template: an escaped character, a placeholder, a stray brace, or plain text. A
# backslash before anything else stays as it is: a template read from a path is plain data,
# not a literal whose escapes the parser has already checked.
_TEMPLATE = re.compile(r"\\([{}\\])|(\{\})|([{}])|(\\|[^\\{}]+)")


@functools.lru_cache(maxsize=512)
def _split_template(raw: str) -> tuple[str, ...]:
    """A Format template cut at its ``{}`` placeholders.

    Raises:
        ValueError: a brace neither escaped nor part of ``{}``; AWS fails ``'Hello {'`` and
            ``'}'`` at run time, not when the definition is created.
    """
    pieces: list[str] = []
    current: list[str] = []
    for m in _TEMPLATE.finditer(raw):
        escaped, placeholder, stray, text = m.groups()
        if stray:
            raise ValueError(f"unescaped {stray!r} at position {m.start()} of the template")
        if placeholder:
            pieces.append("".join(current))
            current = []
        else:
            current.append(escaped or text)
    pieces.append("".join(current))
    return tuple(pieces)


def _format_value(value: JSON) -> str:
    """A value as Format inserts it (FN-1): strings raw, other scalars as JSON text, and
    arrays and objects the way Java prints a List or Map (``{Arg1=1, Arg2=[]}``)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{k}={_format_value(v)}" for k, v in value.items()) + "}"


def _format(a: _Args) -> JSON:
    try:
        pieces = _split_template(a.of(0, str, "the template (first argument)"))
    except ValueError as exc:
        raise a.fail(str(exc)) from None
    values = a.values[1:]
    if len(pieces) - 1 != len(values):
        raise a.fail(
            f"the template has {len(pieces) - 1} placeholder(s) but {len(values)} value(s) "
            "were given"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += (_format_value(value), piece)
    return "".join(out)


def _string_to_json(a: _Args) -> JSON:
    text = a.of(0, str, "the argument")
    if not text.strip():
        return None  # FN-2: AWS turns "" and blank text into null rather than failing.
    try:
        return orjson.loads(text)  # strict JSON: no NaN, no trailing commas
    except orjson.JSONDecodeError as exc:
        raise a.fail(f"the string is not valid JSON ({exc})") from None


def _json_to_string(a: _Args) -> JSON:
    # FN-3: compact, with non-ASCII characters written as they are, as Jackson does.
    return json.dumps(a.values[0], separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _array_partition(a: _Args) -> JSON:
    items = a.of(0, list, "the first argument")
    size = a.integer(1, "the chunk size")
    if size <= 0:
        raise a.fail(f"the chunk size must be a positive integer but is {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _key(value: JSON) -> Any:
    """A hashable stand-in for deep JSON equality: objects ignore key order, ``1 == 1.0``,
    and booleans never equal numbers (FN-6, FN-10)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, int | float | str):
        return ("string" if isinstance(value, str) else "number", value)
    if isinstance(value, list):
        return ("array", tuple(_key(item) for item in value))
    return ("object", frozenset((k, _key(v)) for k, v in value.items()))


def _array_contains(a: _Args) -> JSON:
    wanted = _key(a.values[1])
    return any(_key(item) == wanted for item in a.of(0, list, "the first argument"))


def _array_range(a: _Args) -> JSON:
    start, end = a.integer(0, "the start"), a.integer(1, "the end")
    step = a.integer(2, "the step")
    if step == 0:
        raise a.fail("the step must not be 0")
    # FN-7: the end is included when the steps land on it.
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise a.fail(f"the range has {count} items; at most {MAX_RANGE_ITEMS}")
    return [start + i * step for i in range(count)]


def _array_get_item(a: _Args) -> JSON:
    items = a.of(0, list, "the first argument")
    index = a.integer(1, "the index")
    if index < 0:
        raise a.fail(f"index {index} is negative")
    if not items:
        return None  # Observed on AWS: any index into an empty array gives null (FN-8).
    if index >= len(items):
        raise a.fail(f"index {index} out of range for array of length {len(items)}")
    return items[index]


def _array_unique(a: _Args) -> JSON:
    unique: dict[Any, JSON] = {}
    for item in a.of(0, list, "the argument"):
        unique.setdefault(_key(item), item)  # dicts keep first insertion order (FN-10)
    return list(unique.values())


def _base64_encode(a: _Args) -> JSON:
    return base64.b64encode(a.text(0, "the argument").encode("utf-8")).decode("ascii")


def _base64_decode(a: _Args) -> JSON:
    text = a.text(0, "the argument")
    try:
        # Java's decoder, which AWS runs, does not insist on the '=' padding.
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise a.fail("the argument is not valid Base64") from None
    return data.decode("utf-8", errors="replace")


def _hash(a: _Args) -> JSON:
    data = a.text(0, "the data")
    algorithm = a.of(1, str, "the algorithm")
    if algorithm not in _HASHES:
        raise a.fail(f"unsupported algorithm {algorithm!r}; use one of {', '.join(_HASHES)}")
    return hashlib.new(_HASHES[algorithm], data.encode("utf-8")).hexdigest()


def _json_merge(a: _Args) -> JSON:
    left = a.of(0, dict, "the first argument")
    right = a.of(1, dict, "the second argument")
    # FN-13: there is no deep merge. AWS was seen taking a non-boolean third argument as a
    # shallow merge, so only an explicit true is refused.
    if a.values[2] is True:
        raise a.fail("deep merging (third argument true) is not supported; pass false")
    return {**left, **right}


def _math_random(a: _Args) -> JSON:
    # FN-14: AWS takes decimals and cuts them to integers; the result is in [start, end).
    start, end = a.integer(0, "the start"), a.integer(1, "the end")
    if start >= end:
        raise a.fail(f"the start ({start}) must be less than the end ({end})")
    bound = end - start
    if bound > _INT32_MAX:
        raise a.fail(f"the range from {start} to {end} is wider than {_INT32_MAX}")
    if len(a.values) == 3:
        # A private generator, so the same seed always gives the same value. [?] AWS's
        # generator (likely java.util.Random) yields other numbers for the same seed.
        return start + random.Random(a.integer(2, "the seed")).randrange(bound)
    return start + min(bound - 1, math.floor(a.entropy.random() * bound))


def _math_add(a: _Args) -> JSON:
    total = 0
    for i, position in enumerate(("first", "second")):
        number = a.number(i, f"the {position} argument")
        # FN-15: AWS rounds each argument half up (Java Math.round) and adds 32-bit ints.
        rounded = math.floor(number + 0.5) if isinstance(number, float) else number
        if not _INT32_MIN <= rounded <= _INT32_MAX:
            raise a.fail(f"the {position} argument {number} is outside the 32-bit range")
        total += rounded
    if not _INT32_MIN <= total <= _INT32_MAX:
        raise a.fail(f"the sum {total} is outside the 32-bit range")
    return total


def _string_split(a: _Args) -> JSON:
    text = a.of(0, str, "the first argument")
    delimiters = a.of(1, str, "the delimiter")
    if not delimiters:
        return [text] if text else []
    # FN-16: every character of the delimiter splits, and empty pieces are dropped.
    return [piece for piece in re.split(f"[{re.escape(delimiters)}]", text) if piece]


# name -> (fewest arguments, most arguments or None for any number, implementation)
_FUNCTIONS: dict[str, tuple[int, int | None, Implementation]] = {
    "States.Format": (1, None, _format),
    "States.StringToJson": (1, 1, _string_to_json),
    "States.JsonToString": (1, 1, _json_to_string),
    "States.Array": (0, None, lambda a: list(a.values)),
    "States.ArrayPartition": (2, 2, _array_partition),
    "States.ArrayContains": (2, 2, _array_contains),
    "States.ArrayRange": (3, 3, _array_range),
    "States.ArrayGetItem": (2, 2, _array_get_item),
    "States.ArrayLength": (1, 1, lambda a: len(a.of(0, list, "the argument"))),
    "States.ArrayUnique": (1, 1, _array_unique),
    "States.Base64Encode": (1, 1, _base64_encode),
    "States.Base64Decode": (1, 1, _base64_decode),
    "States.Hash": (2, 2, _hash),
    "States.JsonMerge": (3, 3, _json_merge),
    "States.MathRandom": (2, 3, _math_random),
    "States.MathAdd": (2, 2, _math_add),
    "States.StringSplit": (2, 2, _string_split),
    "States.UUID": (0, 0, lambda a: a.entropy.uuid()),
}

"""Intrinsic functions: parsing, every States.* function and AWS's quirks (FN-0..FN-17, Q-21).

Intrinsic texts below are what the parser receives, i.e. after JSON decoding: a definition's
``\\\\{`` arrives here as ``\\{``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from statewise.asl.errors import FailureError, StatesError
from statewise.asl.intrinsics import (
    STRING_RESULT_FUNCTIONS,
    Intrinsic,
    IntrinsicSyntaxError,
    compile_intrinsic,
    is_intrinsic,
)
from statewise.asl.paths import PathNotFound, Scope

DATA: dict[str, Any] = {
    "name": "Ada",
    "template": "Dear {}, you owe {}",
    "nums": [3, 1, 4, 1, 5],
    "empty": [],
    "mixed": [{"k": [1, 2]}, {"k": [1, 2]}, {"k": [2, 1]}, "1", 1, 1.0, True],
    "obj": {"Arg1": 1, "Arg2": []},
    "nested": {"inner": {"s": "x", "n": None, "b": False, "l": [1, "two"]}},
    "json": '{"a": [1, {"b": null}]}',
    "half": 1.5,
    "odd key": "spaced",
    "it's": "quoted",
    "arn": "arn:aws:states:eu-west-1:123456789012:execution:machine:run-7",
    "big": "a" * 10_000,
    "bigger": "a" * 10_001,
}
CONTEXT = {"Execution": {"Id": DATA["arn"], "Input": {"who": "ctx"}}, "State": {"Name": "Fmt"}}
SCOPE = Scope(input=DATA, context=CONTEXT, variables={"order": {"id": 42}, "flag": True})


@dataclasses.dataclass
class FixedEntropy:
    """An Entropy whose random() and uuid() return what the test chose."""

    value: float = 0.0
    next_uuid: str = "00000000-0000-4000-8000-000000000000"

    def random(self) -> float:
        return self.value

    def uuid(self) -> str:
        return self.next_uuid


def evaluate(text: str, entropy: FixedEntropy | None = None, scope: Scope = SCOPE) -> Any:
    return compile_intrinsic(text).evaluate(scope, entropy or FixedEntropy())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("States.Format('x')", True, id="call"),
        pytest.param("States.UUID()", True, id="no-arguments"),
        pytest.param("States.Foo(1)", True, id="unknown-name-is-still-call-shaped"),
        pytest.param("States.Array ($.x)", True, id="space-before-paren"),
        pytest.param("$.States.Format", False, id="path"),
        pytest.param("States.Format", False, id="no-paren"),
        pytest.param(" States.UUID()", False, id="leading-space"),
        pytest.param("states.UUID()", False, id="case-sensitive"),
        pytest.param("Hello States.UUID()", False, id="not-at-start"),
    ],
)
def test_is_intrinsic(text: str, expected: bool) -> None:
    """FN-0: a ``.$`` value starting ``States.Name(`` is an intrinsic, anything else a path."""
    assert is_intrinsic(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("States.Format('Hello, {}!', $.name)", "Hello, Ada!", id="FN-1-basic"),
        pytest.param("States.Format($.template, $.name, 3)", "Dear Ada, you owe 3", id="FN-1-path"),
        pytest.param("States.Format('no placeholders')", "no placeholders", id="FN-1-none"),
        pytest.param("States.Format('{}{}', 'a', 'b')", "ab", id="FN-1-adjacent"),
        pytest.param(
            "States.Format('{}|{}|{}|{}|{}', null, true, false, -2, 2.5)",
            "null|true|false|-2|2.5",
            id="FN-1-scalars-natural-form",
        ),
        pytest.param("States.Format('{}', $.half)", "1.5", id="FN-1-decimal"),
        pytest.param("States.Format('{}', 4.0)", "4", id="FN-1-whole-float-as-int"),
        pytest.param("States.Format('{}', $.obj)", "{Arg1=1, Arg2=[]}", id="FN-1-object-java"),
        pytest.param(
            "States.Format('{}', $.nested.inner)",
            "{s=x, n=null, b=false, l=[1, two]}",
            id="FN-1-nested-java",
        ),
        pytest.param("States.Format('{}', $.nums)", "[3, 1, 4, 1, 5]", id="FN-1-array-java"),
        pytest.param("States.Format('  {}  ', 'x')", "  x  ", id="FN-1-whitespace-kept"),
        pytest.param(r"States.Format('\{\}')", "{}", id="FN-1-escaped-braces-no-placeholder"),
        pytest.param(r"States.Format('\{{}\}', 7)", "{7}", id="FN-1-escaped-around-placeholder"),
        pytest.param(r"States.Format('a\\b{}', 1)", "a\\b1", id="FN-1-escaped-backslash"),
        pytest.param(r"States.Format('it\'s {}', 'me')", "it's me", id="FN-1-escaped-quote"),
        pytest.param(
            "States.Format($.template, States.Format('{}!', $.name), States.MathAdd(1, 2))",
            "Dear Ada!, you owe 3",
            id="FN-1-nested-values",
        ),
        pytest.param(
            "States.Format('{}', States.StringToJson('\"q\"'))", "q", id="FN-1-computed-string"
        ),
    ],
)
def test_format(text: str, expected: str) -> None:
    """FN-1: placeholders take values in natural form; objects print the way Java prints."""
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("States.StringToJson($.json)", {"a": [1, {"b": None}]}, id="FN-2-object"),
        pytest.param("States.StringToJson('[1, 2.5]')", [1, 2.5], id="FN-2-array"),
        pytest.param("States.StringToJson('\"s\"')", "s", id="FN-2-string"),
        pytest.param("States.StringToJson('true')", True, id="FN-2-boolean"),
        pytest.param("States.StringToJson('null')", None, id="FN-2-null"),
        pytest.param("States.StringToJson('')", None, id="FN-2-empty-is-null"),
        pytest.param("States.StringToJson('  ')", None, id="FN-2-blank-is-null"),
        pytest.param("States.StringToJson('-0')", 0, id="FN-2-minus-zero"),
        pytest.param("States.StringToJson(' {\"a\":1} ')", {"a": 1}, id="FN-2-padded"),
        pytest.param("States.JsonToString($.obj)", '{"Arg1":1,"Arg2":[]}', id="FN-3-compact"),
        pytest.param("States.JsonToString($.name)", '"Ada"', id="FN-3-string"),
        pytest.param(
            "States.JsonToString($.nested)",
            '{"inner":{"s":"x","n":null,"b":false,"l":[1,"two"]}}',
            id="FN-3-nested",
        ),
        pytest.param(
            "States.StringToJson(States.JsonToString($.nested))",
            DATA["nested"],
            id="FN-2-FN-3-round-trip",
        ),
        pytest.param("States.Array()", [], id="FN-4-empty"),
        pytest.param(
            "States.Array('a', 1, -0.5, true, null, $.obj)",
            ["a", 1, -0.5, True, None, DATA["obj"]],
            id="FN-4-mixed",
        ),
        pytest.param("States.Array(States.Array())", [[]], id="FN-4-nested"),
        pytest.param(
            "States.ArrayPartition($.nums, 2)", [[3, 1], [4, 1], [5]], id="FN-5-short-tail"
        ),
        pytest.param("States.ArrayPartition($.nums, 5)", [DATA["nums"]], id="FN-5-exact"),
        pytest.param("States.ArrayPartition($.nums, 99)", [DATA["nums"]], id="FN-5-oversized"),
        pytest.param("States.ArrayPartition($.empty, 3)", [], id="FN-5-empty"),
        pytest.param(
            "States.ArrayPartition($.nums, 2.9)", [[3, 1], [4, 1], [5]], id="FN-5-decimal-cut"
        ),
        pytest.param("States.ArrayContains($.nums, 4)", True, id="FN-6-present"),
        pytest.param("States.ArrayContains($.nums, 9)", False, id="FN-6-absent"),
        pytest.param("States.ArrayContains($.nums, 4.0)", True, id="FN-6-numeric-equality"),
        pytest.param("States.ArrayContains($.mixed, $.mixed[0])", True, id="FN-6-deep-object"),
        pytest.param(
            "States.ArrayContains($.mixed, States.StringToJson('{\"k\":[2,1]}'))",
            True,
            id="FN-6-deep-by-value",
        ),
        pytest.param(
            "States.ArrayContains($.mixed, States.StringToJson('{\"k\":[1]}'))",
            False,
            id="FN-6-deep-mismatch",
        ),
        pytest.param("States.ArrayContains(States.Array(1), true)", False, id="FN-6-bool-not-1"),
        pytest.param("States.ArrayContains(States.Array(true), 1)", False, id="FN-6-1-not-bool"),
        pytest.param("States.ArrayRange(0, 10, 3)", [0, 3, 6, 9], id="FN-7-end-not-reached"),
        pytest.param("States.ArrayRange(2, 8, 2)", [2, 4, 6, 8], id="FN-7-end-included"),
        pytest.param("States.ArrayRange(1, 9, 9)", [1], id="FN-7-single"),
        pytest.param("States.ArrayRange(4, 4, 1)", [4], id="FN-7-equal-bounds"),
        pytest.param("States.ArrayRange(6, -3, -3)", [6, 3, 0, -3], id="FN-7-negative-step"),
        pytest.param("States.ArrayRange(5, 1, 1)", [], id="FN-7-wrong-direction-empty"),
        pytest.param("States.ArrayRange(1, 5, -1)", [], id="FN-7-wrong-direction-negative"),
        pytest.param("States.ArrayRange(7.9, 0.2, -3.5)", [7, 4, 1], id="FN-7-decimals-cut"),
        pytest.param("States.ArrayGetItem($.nums, 2)", 4, id="FN-8-item"),
        pytest.param("States.ArrayGetItem($.nums, 4)", 5, id="FN-8-last"),
        pytest.param("States.ArrayGetItem($.mixed, 0)", {"k": [1, 2]}, id="FN-8-object-item"),
        pytest.param("States.ArrayGetItem($.nums, 1.9)", 1, id="FN-8-decimal-index-cut"),
        pytest.param("States.ArrayGetItem($.empty, 7)", None, id="FN-8-empty-array-is-null"),
        pytest.param("States.ArrayLength($.nums)", 5, id="FN-9-length"),
        pytest.param("States.ArrayLength($.empty)", 0, id="FN-9-empty"),
        pytest.param("States.ArrayUnique($.nums)", [3, 1, 4, 5], id="FN-10-first-kept"),
        pytest.param(
            "States.ArrayUnique($.mixed)",
            [{"k": [1, 2]}, {"k": [2, 1]}, "1", 1, True],
            id="FN-10-deep-and-typed",
        ),
        pytest.param("States.ArrayUnique($.empty)", [], id="FN-10-empty"),
        pytest.param("States.Base64Encode('héllo wörld')", "aMOpbGxvIHfDtnJsZA==", id="FN-11-enc"),
        pytest.param("States.Base64Decode('aMOpbGxvIHfDtnJsZA==')", "héllo wörld", id="FN-11-dec"),
        pytest.param("States.Base64Encode('')", "", id="FN-11-encode-empty"),
        pytest.param("States.Base64Decode('')", "", id="FN-11-decode-empty"),
        pytest.param("States.Base64Decode('YWI')", "ab", id="FN-11-padding-optional"),
        pytest.param(
            "States.Hash('input data', 'SHA-1')",
            "aaff4a450a104cd177d28d18d74485e8cae074b7",
            id="FN-12-aws-sha1-example",
        ),
        pytest.param("States.Hash('', 'MD5')", "d41d8cd98f00b204e9800998ecf8427e", id="FN-12-md5"),
        pytest.param(
            "States.Hash('abc', 'SHA-256')",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            id="FN-12-sha256",
        ),
        pytest.param(
            "States.Hash('abc', 'SHA-384')",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
            "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            id="FN-12-sha384",
        ),
        pytest.param(
            "States.Hash('abc', 'SHA-512')",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            id="FN-12-sha512",
        ),
        pytest.param(
            'States.JsonMerge($.nested, States.StringToJson(\'{"inner":{"z":1},"t":2}\'), false)',
            {"inner": {"z": 1}, "t": 2},
            id="FN-13-shallow-second-wins",
        ),
        pytest.param(
            "States.JsonMerge($.obj, $.nested, false)",
            {**DATA["obj"], **DATA["nested"]},
            id="FN-13-disjoint",
        ),
        pytest.param("States.MathAdd(111, -1)", 110, id="FN-15-integers"),
        pytest.param("States.MathAdd(1.49, 1.5)", 3, id="FN-15-round-each-argument"),
        pytest.param("States.MathAdd(1.5, 1.51)", 4, id="FN-15-half-up"),
        pytest.param("States.MathAdd(-1.5, 0)", -1, id="FN-15-negative-half-toward-plus-inf"),
        pytest.param("States.MathAdd(-1.51, 0)", -2, id="FN-15-negative-past-half"),
        pytest.param("States.MathAdd($.half, $.nums[0])", 5, id="FN-15-paths"),
        pytest.param("States.MathAdd(2147483646, 1)", 2147483647, id="FN-15-int32-max"),
        pytest.param("States.StringSplit('1,2,3', ',')", ["1", "2", "3"], id="FN-16-basic"),
        pytest.param("States.StringSplit(',,,,', ',')", [], id="FN-16-only-delimiters"),
        pytest.param("States.StringSplit(', , ,', ',')", [" ", " "], id="FN-16-empties-dropped"),
        pytest.param(
            "States.StringSplit('This.is+a,test=string', '.+,=')",
            ["This", "is", "a", "test", "string"],
            id="FN-16-every-char-separates",
        ),
        pytest.param("States.StringSplit('a]b^c-d', ']^-')", list("abcd"), id="FN-16-regex-chars"),
        pytest.param("States.StringSplit('', ',')", [], id="FN-16-empty-input"),
        pytest.param("States.StringSplit('abc', '')", ["abc"], id="FN-16-empty-delimiter"),
    ],
)
def test_function_results(text: str, expected: Any) -> None:
    """FN-2..FN-16: each function's results on AWS, including its documented quirks."""
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("States.MathAdd(1.4, 2.6)", id="FN-15-MathAdd"),
        pytest.param("States.ArrayRange(0.5, 3.5, 1.5)", id="FN-7-ArrayRange"),
        pytest.param("States.ArrayLength($.nums)", id="FN-9-ArrayLength"),
        pytest.param("States.MathRandom(1.5, 9.9)", id="FN-14-MathRandom"),
        pytest.param("States.MathRandom(1.5, 9.9, 3.3)", id="FN-14-MathRandom-seeded"),
    ],
)
def test_computed_numbers_are_ints(text: str) -> None:
    """Computed numbers print as integers, as AWS's do, never as ``4.0``."""
    result = evaluate(text, FixedEntropy(0.5))
    values = result if isinstance(result, list) else [result]
    assert values and all(type(v) is int for v in values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("States.Array($)", [DATA], id="whole-input"),
        pytest.param("States.Array($.nested.inner.s)", ["x"], id="dotted"),
        pytest.param("States.Array($.nums[2])", [4], id="index"),
        pytest.param("States.Array($['odd key'])", ["spaced"], id="bracket-quoted-with-space"),
        pytest.param("States.Array($.mixed[0]['k'][1])", [2], id="mixed-brackets"),
        pytest.param(r"States.Array($['it\'s'], 1)", ["quoted", 1], id="escaped-quote-in-path"),
        pytest.param("States.Array($.nums[*])", [DATA["nums"]], id="indefinite-path-list"),
        pytest.param("States.Array($$.Execution.Input.who)", ["ctx"], id="context"),
        pytest.param("States.Array($$.State.Name, $$)", ["Fmt", CONTEXT], id="whole-context"),
        pytest.param("States.Array($order.id, $flag)", [42, True], id="variables"),
        pytest.param(
            "States.Array( $.name ,States.UUID( ) ,  1 )",
            ["Ada", "00000000-0000-4000-8000-000000000000", 1],
            id="whitespace-between-tokens",
        ),
        pytest.param(
            "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 3)",
            "eu-west-1",
            id="nested-region-from-arn",
        ),
        pytest.param(
            "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.arn, ':'), 6), '-'), 0), States.ArrayGetItem(States.StringSplit("
            "States.ArrayGetItem(States.StringSplit($.arn, ':'), 7), '-'), 1))",
            "machine.7",
            id="Q-21-docs-nine-call-example",
        ),
    ],
)
def test_arguments_and_nesting(text: str, expected: Any) -> None:
    """FN-0: arguments may be paths on the input, ``$$`` and variables, or nested calls."""
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(r"States.Array('it\'s')", ["it's"], id="quote"),
        pytest.param(r"States.Array('\{x\}')", ["{x}"], id="braces"),
        pytest.param(r"States.Array('C:\\dir')", ["C:\\dir"], id="backslash"),
        pytest.param(r"States.Array('\\\'')", ["\\'"], id="backslash-then-quote"),
        pytest.param("States.Array('{}')", ["{}"], id="braces-plain-outside-Format"),
        pytest.param("States.Array('a, b)')", ["a, b)"], id="comma-and-paren-in-string"),
        pytest.param("States.Array('')", [""], id="empty-string"),
        pytest.param("States.Array('$.name')", ["$.name"], id="quoted-path-is-text"),
    ],
)
def test_string_literal_escapes(text: str, expected: Any) -> None:
    """FN-0 reserved characters: ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` in string literals."""
    assert evaluate(text) == expected


def test_math_random_unseeded_uses_injected_entropy() -> None:
    """FN-14: without a seed the value comes from the injected Entropy, in [start, end)."""
    assert evaluate("States.MathRandom(10, 20)", FixedEntropy(0.0)) == 10
    assert evaluate("States.MathRandom(10, 20)", FixedEntropy(0.99999)) == 19
    assert evaluate("States.MathRandom(-5, 5)", FixedEntropy(0.5)) == 0


def test_math_random_seeded_is_repeatable() -> None:
    """FN-14: the same seed gives the same value whatever the entropy; values stay in range."""
    first = evaluate("States.MathRandom(1, 1000, 42)", FixedEntropy(0.1))
    assert first == evaluate("States.MathRandom(1, 1000, 42)", FixedEntropy(0.9))
    seen = {evaluate(f"States.MathRandom(1, 1000, {seed})") for seed in range(50)}
    assert len(seen) > 1 and all(1 <= v < 1000 for v in seen)


def test_math_random_accepts_decimals() -> None:
    """FN-14: AWS accepts ``12.5, 44.51`` although the docs ask for integers."""
    for value in (0.0, 0.99999):
        assert 12 <= evaluate("States.MathRandom(12.5, 44.51)", FixedEntropy(value)) < 44


def test_uuid_comes_from_entropy() -> None:
    """FN-17: States.UUID() returns the injected source's v4 UUID."""
    fixed = FixedEntropy(next_uuid="3f2b5e1c-9a7d-4c1e-8b2a-5d6e7f8a9b0c")
    assert evaluate("States.UUID()", fixed) == fixed.next_uuid
    assert evaluate("States.Format('id-{}', States.UUID())", fixed) == f"id-{fixed.next_uuid}"


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        pytest.param("States.Foo()", "unknown intrinsic function 'States.Foo'", 0, id="unknown"),
        pytest.param(
            "States.Array(States.format('x'))",
            "unknown intrinsic function 'States.format'",
            13,
            id="unknown-nested-case-sensitive",
        ),
        pytest.param(
            "States.ArrayGetItem($.nums, 1, 2)",
            "States.ArrayGetItem expects 2 arguments but got 3",
            0,
            id="too-many-arguments",
        ),
        pytest.param(
            "States.ArrayRange(1, 5)",
            "States.ArrayRange expects 3 arguments but got 2",
            0,
            id="too-few-arguments",
        ),
        pytest.param(
            "States.MathRandom(1)", "expects 2 or 3 arguments but got 1", 0, id="optional-seed"
        ),
        pytest.param("States.Format()", "expects at least 1 argument but got 0", 0, id="varargs"),
        pytest.param("States.UUID(1)", "States.UUID expects 0 arguments but got 1", 0, id="uuid"),
        pytest.param(
            "States.JsonMerge($.obj, $.obj)", "expects 3 arguments but got 2", 0, id="merge-arity"
        ),
        pytest.param(
            "States.Array(1, States.StringSplit('a'))",
            "States.StringSplit expects 2 arguments but got 1",
            16,
            id="nested-arity-offset",
        ),
        pytest.param(
            "States.JsonToString('{}')",
            "States.JsonToString expects a path argument",
            0,
            id="FN-3-path-only",
        ),
        pytest.param("States.Format('open", "unterminated string literal", 14, id="unterminated"),
        pytest.param(
            r"States.Format('a\nb')", r"invalid escape '\n'", 16, id="FN-0-open-backslash"
        ),
        pytest.param(r"States.Array('a\')", "unterminated string literal", 13, id="escaped-end"),
        pytest.param("States.Array(1,)", "unexpected ')'", 15, id="trailing-comma"),
        pytest.param("States.Array(,1)", "unexpected ','", 13, id="leading-comma"),
        pytest.param("States.Array(1 2)", "expected ',' or ')' but found '2'", 15, id="no-comma"),
        pytest.param("States.Array(12ab)", "unexpected '12ab'", 13, id="number-then-letters"),
        pytest.param("States.Array(007)", "unexpected '007'", 13, id="leading-zeros"),
        pytest.param("States.Array(-x)", "unexpected '-x'", 13, id="bare-minus"),
        pytest.param("States.Array(True)", "unexpected 'True'", 13, id="keywords-lowercase"),
        pytest.param('States.Array("x")', "unexpected '\"x\"'", 13, id="double-quotes"),
        pytest.param("States.Array(1", "States.Array is missing its ')'", 14, id="no-close"),
        pytest.param("States.Array(1, ", "expected an argument", 16, id="end-after-comma"),
        pytest.param("States.UUID(", "States.UUID is missing its ')'", 12, id="no-close-empty"),
        pytest.param("States.Array() x", "after the closing parenthesis", 15, id="trailing-text"),
        pytest.param("States.Array()()", "after the closing parenthesis", 14, id="double-call"),
        pytest.param("States.Array", "expected '(' after States.Array", 12, id="no-paren"),
        pytest.param("$.x", "expected an intrinsic function name", 0, id="not-a-call"),
        pytest.param("States.Array($.a[)", "unterminated bracket in path", 13, id="bad-bracket"),
        pytest.param("States.Array($.a b)", "expected ',' or ')'", 17, id="space-in-path"),
        pytest.param("States.Array($$$)", "invalid path '$$$'", 13, id="invalid-path"),
    ],
)
def test_syntax_errors(text: str, message: str, offset: int) -> None:
    """FN-0: malformed calls, unknown names and wrong static arity fail at compile time,
    with the problem and its character offset in the message."""
    with pytest.raises(IntrinsicSyntaxError, match=re.escape(message)) as caught:
        compile_intrinsic(text)
    assert caught.value.offset == offset
    assert str(caught.value).endswith(f"at offset {offset}")


def _calls(n: int) -> str:
    """n intrinsic calls in one field: ``States.Array(States.Array(...))``."""
    return "States.Array(" * n + ")" * n


def test_q21_ten_calls_allowed_eleventh_rejected() -> None:
    """Q-21: up to 10 intrinsic calls per field; the docs' 9-call example is 5 deep, so the
    limit counts calls, not depth."""
    assert evaluate(_calls(10)) == [[[[[[[[[[]]]]]]]]]]
    wide = "States.Array(" + ", ".join(["States.UUID()"] * 9) + ")"
    assert len(evaluate(wide)) == 9
    with pytest.raises(IntrinsicSyntaxError, match="more than 10 intrinsic functions"):
        compile_intrinsic(_calls(11))
    with pytest.raises(IntrinsicSyntaxError, match="more than 10 intrinsic functions"):
        compile_intrinsic(wide.replace("States.UUID()", "States.UUID(), States.UUID()", 1))


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        pytest.param(
            "States.Format(1)",
            "the template (first argument) must be a string",
            id="FN-1-template-not-string",
        ),
        pytest.param(
            "States.Format('{} {}', 1)",
            "the template has 2 placeholder(s) but 1 value(s) were given",
            id="FN-1-too-few-values",
        ),
        pytest.param(
            "States.Format('{}', 1, 2)", "has 1 placeholder(s) but 2 value", id="FN-1-too-many"
        ),
        pytest.param(
            "States.Format($.template, 'x')", "has 2 placeholder(s) but 1", id="FN-1-path-template"
        ),
        pytest.param(
            "States.Format('Hello {', 1)", "unescaped '{' at position 6", id="FN-1-lone-{"
        ),
        pytest.param("States.Format('}')", "unescaped '}' at position 0", id="FN-1-lone-}"),
        pytest.param("States.Format('{{}}', 1)", "unescaped '{'", id="FN-1-doubled-braces"),
        pytest.param(
            "States.StringToJson($.nums)", "must be a string but is an array", id="FN-2-not-string"
        ),
        pytest.param("States.StringToJson('{bad}')", "the string is not valid JSON", id="FN-2-bad"),
        pytest.param("States.StringToJson('NaN')", "not valid JSON", id="FN-2-nan"),
        pytest.param(
            "States.ArrayPartition($.obj, 2)",
            "must be an array but is an object",
            id="FN-5-not-array",
        ),
        pytest.param("States.ArrayPartition($.nums, 0)", "positive integer but is 0", id="FN-5-0"),
        pytest.param("States.ArrayPartition($.nums, 0.9)", "but is 0", id="FN-5-cut-to-0"),
        pytest.param("States.ArrayPartition($.nums, -1)", "but is -1", id="FN-5-negative"),
        pytest.param("States.ArrayPartition($.nums, '2')", "must be a number", id="FN-5-string"),
        pytest.param("States.ArrayPartition($.nums, null)", "but is null", id="FN-5-null"),
        pytest.param("States.ArrayContains('abc', 'a')", "must be an array", id="FN-6-not-array"),
        pytest.param("States.ArrayRange(1, 10, 0)", "the step must not be 0", id="FN-7-step-0"),
        pytest.param("States.ArrayRange(1, 10, 0.4)", "must not be 0", id="FN-7-step-cut-to-0"),
        pytest.param("States.ArrayRange('a', 5, 1)", "the start must be a number", id="FN-7-str"),
        pytest.param("States.ArrayRange(1, 1001, 1)", "1001 items; at most 1000", id="Q-21-range"),
        pytest.param("States.ArrayRange(0, -2000, -2)", "1001 items", id="Q-21-range-negative"),
        pytest.param(
            "States.ArrayGetItem(States.Array(1, 2, 3), 5)",
            "index 5 out of range for array of length 3",
            id="FN-8-out-of-range",
        ),
        pytest.param("States.ArrayGetItem($.nums, 5)", "index 5 out of range", id="FN-8-length"),
        pytest.param("States.ArrayGetItem($.nums, -1)", "index -1 is negative", id="FN-8-neg"),
        pytest.param("States.ArrayGetItem($.nums, '1')", "must be a number", id="FN-8-string"),
        pytest.param("States.ArrayGetItem($.nums, true)", "but is a boolean", id="FN-8-bool"),
        pytest.param("States.ArrayGetItem('abc', 0)", "must be an array", id="FN-8-not-array"),
        pytest.param(
            "States.ArrayLength($.name)", "must be an array but is a string", id="FN-9-not-array"
        ),
        pytest.param(
            "States.ArrayUnique(null)", "must be an array but is null", id="FN-10-not-array"
        ),
        pytest.param("States.Base64Encode(1)", "must be a string but is a number", id="FN-11-enc"),
        pytest.param("States.Base64Decode('###')", "not valid Base64", id="FN-11-invalid"),
        pytest.param("States.Base64Decode('a')", "not valid Base64", id="FN-11-truncated"),
        pytest.param(
            "States.Base64Encode($.bigger)", "10001 characters; at most 10000", id="Q-21-b64"
        ),
        pytest.param("States.Base64Decode($.bigger)", "10001 characters", id="Q-21-b64-decode"),
        pytest.param("States.Hash($.bigger, 'MD5')", "10001 characters", id="Q-21-hash"),
        pytest.param(
            "States.Hash('x', 'sha-256')",
            "unsupported algorithm 'sha-256'",
            id="FN-12-case-sensitive",
        ),
        pytest.param("States.Hash('x', 'SHA256')", "unsupported algorithm", id="FN-12-spelling"),
        pytest.param("States.Hash('x', 'SHA-224')", "use one of MD5, SHA-1", id="FN-12-other"),
        pytest.param("States.Hash('x', 256)", "the algorithm must be a string", id="FN-12-number"),
        pytest.param("States.JsonMerge($.obj, $.obj, true)", "deep merging", id="FN-13-deep"),
        pytest.param(
            "States.JsonMerge($.nums, $.obj, false)",
            "first argument must be an",
            id="FN-13-first-not-object",
        ),
        pytest.param(
            "States.JsonMerge($.obj, null, false)",
            "second argument must be",
            id="FN-13-second-not-object",
        ),
        pytest.param("States.MathRandom(5, 5)", "start (5) must be less than", id="FN-14-equal"),
        pytest.param("States.MathRandom(9, 2)", "start (9) must be less than", id="FN-14-reverse"),
        pytest.param("States.MathRandom(1.4, 1.6)", "start (1)", id="FN-14-cut-to-equal"),
        pytest.param("States.MathRandom('1', 9)", "the start must be a number", id="FN-14-str"),
        pytest.param("States.MathRandom(1, 9, null)", "the seed must be a number", id="FN-14-seed"),
        pytest.param(
            "States.MathRandom(-2147483648, 2147483647)", "is wider than", id="FN-14-too-wide"
        ),
        pytest.param(
            "States.MathAdd(1, 'two')", "second argument must be a number", id="FN-15-string"
        ),
        pytest.param("States.MathAdd(true, 1)", "but is a boolean", id="FN-15-bool-not-number"),
        pytest.param("States.MathAdd(null, 1)", "first argument must be a number", id="FN-15-null"),
        pytest.param("States.MathAdd(2147483647, 1)", "the sum 2147483648", id="FN-15-overflow"),
        pytest.param("States.MathAdd(3000000000, 0)", "outside the 32-bit", id="FN-15-operand"),
        pytest.param("States.MathAdd(1e400, 1)", "must be a finite number", id="FN-15-infinite"),
        pytest.param(
            "States.StringSplit(123, ',')",
            "first argument must be a string",
            id="FN-16-text-not-string",
        ),
        pytest.param(
            "States.StringSplit('a', $.nums)",
            "delimiter must be a string",
            id="FN-16-delimiter-not-string",
        ),
    ],
)
def test_runtime_failures(text: str, cause: str) -> None:
    """FN-0: bad argument values fail the state at run time with a cause that, like AWS's,
    starts ``Invalid arguments in States.X``. The docs name the error
    States.IntrinsicFailure; AWS was observed reporting States.Runtime, which we follow."""
    intrinsic = compile_intrinsic(text)
    with pytest.raises(FailureError) as caught:
        intrinsic.evaluate(SCOPE, FixedEntropy())
    failure = caught.value.failure
    assert failure.error == StatesError.RUNTIME
    assert failure.cause is not None
    assert failure.cause.startswith(f"Invalid arguments in {intrinsic.name}: ")
    assert cause in failure.cause


def test_text_limits_allow_exactly_10000_characters() -> None:
    """Q-21: Base64 and Hash inputs may be 10,000 characters long, not one more."""
    assert len(evaluate("States.Base64Encode($.big)")) == 13_336
    assert evaluate("States.Base64Decode($.b64)", scope=Scope({"b64": "QUFB" * 2500})) == "A" * 7500
    assert len(evaluate("States.Hash($.big, 'SHA-256')")) == 64
    assert len(evaluate("States.ArrayRange(1, 1000, 1)")) == 1000


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        pytest.param("States.Format('{}', $.nope)", "$['nope']", id="input"),
        pytest.param("States.Array($.nested.inner.zz)", "$['nested']['inner']['zz']", id="deep"),
        pytest.param("States.ArrayGetItem($.nums, $.nums[9])", "$['nums'][9]", id="index"),
        pytest.param("States.Array($$.Execution.Nope)", "$['Execution']['Nope']", id="context"),
        pytest.param("States.Array($missing.x)", "$missing", id="variable"),
        pytest.param("States.MathAdd(1, States.ArrayLength($.gone))", "$['gone']", id="nested"),
    ],
)
def test_missing_path_raises_path_not_found(text: str, missing: str) -> None:
    """PATH-5: a missing path argument is not an intrinsic failure; PathNotFound propagates
    so that the caller can report States.Runtime."""
    with pytest.raises(PathNotFound) as caught:
        evaluate(text)
    assert caught.value.missing == missing


def test_paths_lists_every_path_argument_in_order() -> None:
    """paths() finds path arguments at every depth, for definition validation."""
    intrinsic = compile_intrinsic(
        "States.Format('{} {} {}', $.a, States.Array($$.Execution.Id, States.MathAdd($v.n, 1)),"
        " $['b'])"
    )
    assert [p.text for p in intrinsic.paths()] == ["$.a", "$$.Execution.Id", "$v.n", "$['b']"]
    assert compile_intrinsic("States.UUID()").paths() == ()


def test_compiled_intrinsic_is_frozen_value() -> None:
    """An Intrinsic keeps its text and outer name and is immutable, so definitions can share it."""
    intrinsic = compile_intrinsic("States.Format('{}', States.UUID())")
    assert isinstance(intrinsic, Intrinsic)
    assert (intrinsic.text, intrinsic.name) == (
        "States.Format('{}', States.UUID())",
        "States.Format",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        intrinsic.name = "States.Array"  # type: ignore[misc]
    assert intrinsic.evaluate(SCOPE, FixedEntropy()) == intrinsic.evaluate(SCOPE, FixedEntropy())


def test_json_merge_does_not_mutate_input() -> None:
    """FN-13: JsonMerge builds a new object, so the state's input stays as it was."""
    merged = evaluate("States.JsonMerge($.obj, $.nested, false)")
    merged["Arg1"] = 99
    assert DATA["obj"] == {"Arg1": 1, "Arg2": []}


def test_string_result_functions() -> None:
    """FN-0 / ASL-FAIL: the functions a Fail state's ErrorPath/CausePath may use."""
    assert {
        "States.Format",
        "States.JsonToString",
        "States.ArrayGetItem",
        "States.Base64Encode",
        "States.Base64Decode",
        "States.Hash",
        "States.UUID",
    } == STRING_RESULT_FUNCTIONS

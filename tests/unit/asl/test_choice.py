"""Tests for JSONPath-mode Choice rules: every operator, paths, type mismatches and errors."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewise.asl.choice import (
    BOOLEAN_OPERATORS,
    OPERATORS,
    ChoiceRule,
    ChoiceRuleError,
    compile_rule,
)
from statewise.asl.paths import PathNotFound, Scope

INPUT: dict[str, Any] = {
    "n": 5,
    "m": 7,
    "five": 5.0,
    "s": "abc",
    "t": "abd",
    "b": True,
    "f": False,
    "nil": None,
    "ts": "2020-01-01T00:00:00Z",
    "ts_offset": "2020-01-01T01:00:00+01:00",
    "later": "2020-06-01T00:00:00.5Z",
    "items": [{"n": 1}, {"n": 2}],
    "obj": {"k": "v"},
}
CONTEXT: dict[str, Any] = {
    "Execution": {"Name": "abc", "StartTime": "2020-01-01T00:00:00.000Z"},
    "Map": {"Item": {"Index": 5}},
}
VARIABLES: dict[str, Any] = {
    "limit": 7,
    "flag": True,
    "name": "abc",
    "when": "2021-06-01T00:00:00Z",
}
SCOPE = Scope(INPUT, CONTEXT, VARIABLES)


def evaluate(rule: dict[str, Any], data: Any = None, scope: Scope | None = None) -> bool:
    return compile_rule(rule).evaluate(scope if scope is not None else Scope(data))


def var(path: str, operator: str, operand: Any) -> dict[str, Any]:
    return {"Variable": path, operator: operand}


def at(time: str) -> str:
    return f"2001-01-01T{time}"


NOON = at("12:00:00Z")


def check(operator: str, literal: Any, value: Any) -> bool:
    return evaluate({"Variable": "$.v", operator: literal}, {"v": value})


# ASL-CHOICE-3: every binary operator against a literal, true and false.
LITERALS = [
    pytest.param("StringEquals", "abc", "abc", True, id="StringEquals-true"),
    pytest.param("StringEquals", "abc", "abd", False, id="StringEquals-false"),
    pytest.param("StringEquals", "abc", "ABC", False, id="StringEquals-case-sensitive"),
    pytest.param("StringLessThan", "b", "a", True, id="StringLessThan-true"),
    pytest.param("StringLessThan", "a", "a", False, id="StringLessThan-equal"),
    pytest.param("StringGreaterThan", "a", "b", True, id="StringGreaterThan-true"),
    pytest.param("StringGreaterThan", "b", "a", False, id="StringGreaterThan-false"),
    pytest.param("StringLessThanEquals", "a", "a", True, id="StringLessThanEquals-equal"),
    pytest.param("StringLessThanEquals", "a", "b", False, id="StringLessThanEquals-false"),
    pytest.param("StringGreaterThanEquals", "a", "a", True, id="StringGreaterThanEquals-equal"),
    pytest.param("StringGreaterThanEquals", "b", "a", False, id="StringGreaterThanEquals-false"),
    pytest.param("NumericEquals", 1, 1, True, id="NumericEquals-true"),
    pytest.param("NumericEquals", 1, 2, False, id="NumericEquals-false"),
    pytest.param("NumericLessThan", 10, 9.5, True, id="NumericLessThan-true"),
    pytest.param("NumericLessThan", 10, 10, False, id="NumericLessThan-equal"),
    pytest.param("NumericGreaterThan", -1, 0, True, id="NumericGreaterThan-true"),
    pytest.param("NumericGreaterThan", 0, -1, False, id="NumericGreaterThan-false"),
    pytest.param("NumericLessThanEquals", 3, 3.0, True, id="NumericLessThanEquals-equal"),
    pytest.param("NumericLessThanEquals", 3, 3.01, False, id="NumericLessThanEquals-false"),
    pytest.param("NumericGreaterThanEquals", 3, 3, True, id="NumericGreaterThanEquals-equal"),
    pytest.param("NumericGreaterThanEquals", 3, 2.99, False, id="NumericGreaterThanEquals-false"),
    pytest.param("BooleanEquals", True, True, True, id="BooleanEquals-true"),
    pytest.param("BooleanEquals", False, False, True, id="BooleanEquals-false-literal"),
    pytest.param("BooleanEquals", True, False, False, id="BooleanEquals-false"),
    pytest.param("TimestampEquals", NOON, NOON, True, id="TimestampEquals-true"),
    pytest.param("TimestampEquals", NOON, at("12:00:00.001Z"), False, id="TimestampEquals-false"),
    pytest.param("TimestampLessThan", NOON, at("11:59:59.999Z"), True, id="TimestampLessThan"),
    pytest.param("TimestampLessThan", NOON, NOON, False, id="TimestampLessThan-equal"),
    pytest.param("TimestampGreaterThan", NOON, at("12:00:01Z"), True, id="TimestampGreaterThan"),
    pytest.param("TimestampGreaterThan", NOON, at("00:00:00Z"), False, id="TsGreaterThan-false"),
    pytest.param("TimestampLessThanEquals", NOON, at("12:00:00.000Z"), True, id="TsLTE-equal"),
    pytest.param("TimestampLessThanEquals", NOON, at("12:00:01Z"), False, id="TsLTE-false"),
    pytest.param("TimestampGreaterThanEquals", NOON, NOON, True, id="TsGTE-equal"),
    pytest.param("TimestampGreaterThanEquals", NOON, at("11:00:00Z"), False, id="TsGTE-false"),
]


@pytest.mark.parametrize(("operator", "literal", "value", "expected"), LITERALS)
def test_literal_comparisons(operator: str, literal: Any, value: Any, expected: bool) -> None:
    assert check(operator, literal, value) is expected


# ASL-CHOICE-4 (0 == 0.0), ASL-CHOICE-9 (IEEE doubles), ASL-CHOICE-10 (instants).
NUMBERS_AND_INSTANTS = [
    pytest.param("NumericEquals", 0, 0.0, True, id="zero-equals-zero-point-zero"),
    pytest.param("NumericEquals", 0.0, -0.0, True, id="negative-zero"),
    pytest.param("NumericEquals", 1.5, 1.5, True, id="float-literal"),
    pytest.param("NumericEquals", 2**53, 2**53 + 1, True, id="beyond-2-53-rounds"),
    pytest.param("NumericGreaterThan", 2**53, 2**53 + 1, False, id="beyond-2-53-order"),
    pytest.param("NumericEquals", 9007199254740991, 9007199254740991.0, True, id="max-safe"),
    pytest.param("NumericGreaterThan", 1e308, 10**400, True, id="huge-int-is-infinity"),
    pytest.param("NumericLessThan", -1e308, -(10**400), True, id="huge-negative-int"),
    pytest.param("TimestampEquals", NOON, at("13:00:00+01:00"), True, id="ts-same-instant"),
    pytest.param("TimestampLessThan", NOON, at("12:30:00+01:00"), True, id="ts-offset-earlier"),
    pytest.param(
        "TimestampGreaterThan", at("12:00:00.123Z"), at("12:00:00.1235Z"), True, id="ts-fraction"
    ),
]


@pytest.mark.parametrize(("operator", "literal", "value", "expected"), NUMBERS_AND_INSTANTS)
def test_numbers_and_instants(operator: str, literal: Any, value: Any, expected: bool) -> None:
    assert check(operator, literal, value) is expected


# ASL-CHOICE-4: a type mismatch is a plain non-match, never an error.
MISMATCHES = [
    pytest.param("NumericEquals", 1, "1", id="numeric-vs-string"),
    pytest.param("NumericEquals", 0, None, id="numeric-vs-null"),
    pytest.param("NumericEquals", 1, [1], id="numeric-vs-array"),
    pytest.param("NumericEquals", 1, {"n": 1}, id="numeric-vs-object"),
    pytest.param("NumericEquals", 1, True, id="numeric-vs-true"),
    pytest.param("NumericEquals", 0, False, id="numeric-vs-false"),
    pytest.param("NumericLessThan", 2, True, id="true-is-not-1"),
    pytest.param("NumericGreaterThanEquals", 0, False, id="false-is-not-0"),
    pytest.param("StringEquals", "1", 1, id="string-vs-number"),
    pytest.param("StringEquals", "null", None, id="string-vs-null"),
    pytest.param("StringEquals", "true", True, id="string-vs-boolean"),
    pytest.param("StringLessThan", "z", ["a"], id="string-order-vs-array"),
    pytest.param("StringGreaterThan", "", 5, id="string-order-vs-number"),
    pytest.param("StringMatches", "*", 5, id="matches-vs-number"),
    pytest.param("StringMatches", "*", None, id="matches-vs-null"),
    pytest.param("BooleanEquals", True, 1, id="boolean-vs-1"),
    pytest.param("BooleanEquals", False, 0, id="boolean-vs-0"),
    pytest.param("BooleanEquals", True, "true", id="boolean-vs-string"),
    pytest.param("BooleanEquals", False, None, id="boolean-vs-null"),
    pytest.param("TimestampEquals", "2016-08-18T17:33:00Z", "yesterday", id="ts-vs-text"),
    pytest.param("TimestampLessThan", "2016-08-18T17:33:00Z", "2016-08-18", id="ts-vs-date"),
    pytest.param("TimestampGreaterThan", "2016-08-18T17:33:00Z", 0, id="ts-vs-number"),
    pytest.param(
        "TimestampGreaterThanEquals", "2016-08-18T17:33:00Z", "2016-08-18T17:33:00", id="no-zone"
    ),
    pytest.param("TimestampEquals", "2016-08-18T17:33:00Z", None, id="ts-vs-null"),
]


@pytest.mark.parametrize(("operator", "literal", "value"), MISMATCHES)
def test_type_mismatch_is_a_non_match(operator: str, literal: Any, value: Any) -> None:
    assert check(operator, literal, value) is False
    # A non-match, not an error: Not turns it into a match.
    assert evaluate({"Not": {"Variable": "$.v", operator: literal}}, {"v": value}) is True


def test_a_timestamp_string_is_still_a_string() -> None:
    # ASL-CHOICE-6 and the AWS guide: timestamps are logically strings.
    assert check("StringEquals", "2016-08-18T17:33:00Z", "2016-08-18T17:33:00Z") is True
    assert check("IsString", True, "2016-08-18T17:33:00Z") is True


# ASL-CHOICE-3: each ...Path variant, with $.x, $$.x and $variable on either side.
PATH_VARIANTS = [
    pytest.param("$.s", "StringEqualsPath", "$$.Execution.Name", True, id="StringEqualsPath-ctx"),
    pytest.param("$.t", "StringEqualsPath", "$name", False, id="StringEqualsPath-var-false"),
    pytest.param("$.s", "StringLessThanPath", "$.t", True, id="StringLessThanPath"),
    pytest.param("$.t", "StringLessThanPath", "$.s", False, id="StringLessThanPath-false"),
    pytest.param("$.t", "StringGreaterThanPath", "$name", True, id="StringGreaterThanPath-var"),
    pytest.param("$name", "StringLessThanEqualsPath", "$.s", True, id="StringLTEPath-var-left"),
    pytest.param("$.t", "StringLessThanEqualsPath", "$.s", False, id="StringLTEPath-false"),
    pytest.param("$.s", "StringGreaterThanEqualsPath", "$.s", True, id="StringGTEPath-self"),
    pytest.param("$.n", "NumericEqualsPath", "$.five", True, id="NumericEqualsPath-int-float"),
    pytest.param("$.n", "NumericEqualsPath", "$$.Map.Item.Index", True, id="NumericEqualsPath-ctx"),
    pytest.param("$.n", "NumericEqualsPath", "$.m", False, id="NumericEqualsPath-false"),
    pytest.param("$.n", "NumericLessThanPath", "$limit", True, id="NumericLessThanPath-var"),
    pytest.param("$.m", "NumericLessThanPath", "$limit", False, id="NumericLessThanPath-false"),
    pytest.param("$.m", "NumericGreaterThanPath", "$.n", True, id="NumericGreaterThanPath"),
    pytest.param("$.m", "NumericLessThanEqualsPath", "$limit", True, id="NumericLTEPath"),
    pytest.param("$limit", "NumericGreaterThanEqualsPath", "$.n", True, id="NumericGTEPath"),
    pytest.param("$.n", "NumericGreaterThanEqualsPath", "$.m", False, id="NumericGTEPath-false"),
    pytest.param("$.b", "BooleanEqualsPath", "$flag", True, id="BooleanEqualsPath-var"),
    pytest.param("$.f", "BooleanEqualsPath", "$.b", False, id="BooleanEqualsPath-false"),
    pytest.param(
        "$.ts", "TimestampEqualsPath", "$.ts_offset", True, id="TimestampEqualsPath-offset"
    ),
    pytest.param(
        "$.ts", "TimestampEqualsPath", "$$.Execution.StartTime", True, id="TsEqualsPath-ctx"
    ),
    pytest.param("$.ts", "TimestampLessThanPath", "$when", True, id="TsLessThanPath-var"),
    pytest.param("$when", "TimestampLessThanPath", "$.ts", False, id="TsLessThanPath-false"),
    pytest.param("$.later", "TimestampGreaterThanPath", "$.ts", True, id="TsGreaterThanPath"),
    pytest.param("$.ts", "TimestampLessThanEqualsPath", "$.ts_offset", True, id="TsLTEPath"),
    pytest.param("$.ts", "TimestampGreaterThanEqualsPath", "$.later", False, id="TsGTEPath"),
    # ASL-CHOICE-4 holds for the right-hand side too.
    pytest.param("$.n", "NumericEqualsPath", "$.s", False, id="mismatch-right-string"),
    pytest.param("$.s", "NumericEqualsPath", "$.n", False, id="mismatch-left-string"),
    pytest.param("$.n", "NumericEqualsPath", "$.nil", False, id="mismatch-right-null"),
    pytest.param("$.b", "BooleanEqualsPath", "$.n", False, id="mismatch-boolean-number"),
    pytest.param("$.s", "StringEqualsPath", "$.obj", False, id="mismatch-string-object"),
    pytest.param("$.ts", "TimestampEqualsPath", "$.s", False, id="mismatch-not-a-timestamp"),
    pytest.param("$.items", "StringLessThanPath", "$.s", False, id="mismatch-array"),
]


@pytest.mark.parametrize(("variable", "operator", "other", "expected"), PATH_VARIANTS)
def test_path_variants(variable: str, operator: str, other: str, expected: bool) -> None:
    assert evaluate({"Variable": variable, operator: other}, scope=SCOPE) is expected


def test_every_path_variant_is_covered() -> None:
    covered = {p.values[1] for p in PATH_VARIANTS}
    assert covered == {name for name in OPERATORS if name.endswith("Path")}


# ASL-CHOICE-6: the Is* type tests, with true and with false (false negates).
TYPE_TESTS = [
    pytest.param("IsNull", None, True, id="IsNull-null"),
    pytest.param("IsNull", 0, False, id="IsNull-zero"),
    pytest.param("IsNull", "", False, id="IsNull-empty-string"),
    pytest.param("IsNull", [], False, id="IsNull-empty-array"),
    pytest.param("IsNumeric", 1, True, id="IsNumeric-int"),
    pytest.param("IsNumeric", -1.5, True, id="IsNumeric-float"),
    pytest.param("IsNumeric", True, False, id="IsNumeric-boolean"),
    pytest.param("IsNumeric", "1", False, id="IsNumeric-numeric-string"),
    pytest.param("IsString", "", True, id="IsString-empty"),
    pytest.param("IsString", "2016-08-18T17:33:00Z", True, id="IsString-timestamp"),
    pytest.param("IsString", 1, False, id="IsString-number"),
    pytest.param("IsString", None, False, id="IsString-null"),
    pytest.param("IsBoolean", False, True, id="IsBoolean-false-value"),
    pytest.param("IsBoolean", 0, False, id="IsBoolean-zero"),
    pytest.param("IsBoolean", "true", False, id="IsBoolean-string"),
    pytest.param("IsTimestamp", "2016-08-18T17:33:00Z", True, id="IsTimestamp-zulu"),
    pytest.param("IsTimestamp", "2016-08-18T17:33:00.123-07:00", True, id="IsTimestamp-offset"),
    pytest.param("IsTimestamp", "2016-08-18T17:33:00", False, id="IsTimestamp-no-zone"),
    pytest.param("IsTimestamp", "2016-13-18T17:33:00Z", False, id="IsTimestamp-month-13"),
    pytest.param("IsTimestamp", 1471541580, False, id="IsTimestamp-number"),
]


@pytest.mark.parametrize(("operator", "value", "is_type"), TYPE_TESTS)
def test_type_tests(operator: str, value: Any, is_type: bool) -> None:
    assert check(operator, True, value) is is_type
    assert check(operator, False, value) is (not is_type)


# ASL-CHOICE-5: IsPresent never fails; a present null is present.
PRESENCE = [
    pytest.param("$.nil", True, id="present-null"),
    pytest.param("$.f", True, id="present-false"),
    pytest.param("$.missing", False, id="missing-member"),
    pytest.param("$.obj.k", True, id="nested"),
    pytest.param("$.obj.k.deeper", False, id="through-a-string"),
    pytest.param("$.items[1]", True, id="index"),
    pytest.param("$.items[5]", False, id="index-out-of-range"),
    pytest.param("$$.Map.Item.Index", True, id="context"),
    pytest.param("$$.Task.Token", False, id="context-missing"),
    pytest.param("$flag", True, id="variable"),
    pytest.param("$undefined", False, id="undefined-variable"),
    pytest.param("$.items[*].n", True, id="indefinite-matches"),
    pytest.param("$.items[*].zzz", False, id="indefinite-matches-nothing"),
]


@pytest.mark.parametrize(("variable", "present"), PRESENCE)
def test_is_present(variable: str, present: bool) -> None:
    assert evaluate({"Variable": variable, "IsPresent": True}, scope=SCOPE) is present
    assert evaluate({"Variable": variable, "IsPresent": False}, scope=SCOPE) is (not present)


# ASL-CHOICE-5: a missing path anywhere but under IsPresent fails the execution.
MISSING = [
    pytest.param(var("$.missing", "NumericEquals", 1), "$.missing", id="numeric"),
    pytest.param(var("$.missing", "StringMatches", "*"), "$.missing", id="matches"),
    pytest.param(var("$.missing", "IsNull", True), "$.missing", id="IsNull"),
    pytest.param(var("$.missing", "IsString", False), "$.missing", id="IsString-false"),
    pytest.param(var("$.obj.k.x", "StringEquals", "v"), "$.obj.k.x", id="through-string"),
    pytest.param(var("$$.Task.Token", "IsString", True), "$$.Task.Token", id="context"),
    pytest.param(var("$nope", "BooleanEquals", True), "$nope", id="undefined-variable"),
    pytest.param(var("$.n", "NumericEqualsPath", "$.missing"), "$.missing", id="path-operand"),
    pytest.param(
        var("$.s", "NumericEqualsPath", "$.missing"), "$.missing", id="path-operand-after-mismatch"
    ),
    pytest.param(var("$.missing", "StringEqualsPath", "$.s"), "$.missing", id="path-variable"),
    pytest.param({"Not": var("$.missing", "IsNull", False)}, "$.missing", id="under-Not"),
    pytest.param(
        {
            "Or": [
                var("$.n", "NumericEquals", 0),
                var("$.missing", "NumericEquals", 0),
            ]
        },
        "$.missing",
        id="Or-reaches-it",
    ),
]


@pytest.mark.parametrize(("rule", "path"), MISSING)
def test_missing_path_raises(rule: dict[str, Any], path: str) -> None:
    with pytest.raises(PathNotFound) as info:
        evaluate(rule, scope=SCOPE)
    assert info.value.path == path


# The AWS guide's example: 20 <= $.value < 30.
IN_TWENTIES = {
    "And": [var("$.value", "NumericGreaterThanEquals", 20), var("$.value", "NumericLessThan", 30)]
}
NULL_OR_X = {"Or": [var("$.v", "IsNull", True), var("$.v", "StringEquals", "x")]}
NOT_PRIVATE = {"Not": var("$.type", "StringEquals", "Private")}
NESTED = {
    "Or": [
        {"And": [var("$.a", "IsNumeric", True), {"Not": var("$.a", "NumericEquals", 0)}]},
        {"And": [var("$.b", "IsPresent", True), var("$.b", "StringMatches", "ok*")]},
    ]
}
GUARDED = {"And": [var("$.x", "IsPresent", True), var("$.x", "NumericGreaterThan", 1)]}
ABSENT_OR = {"Or": [var("$.x", "IsPresent", False), var("$.x", "NumericGreaterThan", 1)]}

# ASL-CHOICE-3: And/Or/Not, nested, short-circuiting (ASL-CHOICE-5's IsPresent guard).
COMBINATIONS = [
    pytest.param(IN_TWENTIES, {"value": 22}, True, id="And-in-twenties"),
    pytest.param(IN_TWENTIES, {"value": 30}, False, id="And-one-false"),
    pytest.param(NULL_OR_X, {"v": "x"}, True, id="Or-second-true"),
    pytest.param(NULL_OR_X, {"v": None}, True, id="Or-first-true"),
    pytest.param(NULL_OR_X, {"v": "y"}, False, id="Or-none-true"),
    pytest.param(NOT_PRIVATE, {"type": "Public"}, True, id="Not-true"),
    pytest.param(NOT_PRIVATE, {"type": "Private"}, False, id="Not-false"),
    pytest.param({"Not": {"Not": var("$.v", "BooleanEquals", True)}}, {"v": True}, True, id="Not2"),
    pytest.param(NESTED, {"a": 0, "b": "okay"}, True, id="nested-Or-of-Ands"),
    pytest.param(NESTED, {"a": 1}, True, id="nested-first-branch"),
    pytest.param(NESTED, {"a": 0}, False, id="nested-guarded-missing"),
    pytest.param(GUARDED, {}, False, id="And-stops-at-IsPresent-guard"),
    pytest.param(GUARDED, {"x": 2}, True, id="And-guard-passes"),
    pytest.param(ABSENT_OR, {}, True, id="Or-stops-at-first-true"),
    pytest.param({"And": [var("$.v", "NumericEquals", 1)]}, {"v": 1}, True, id="single-operand"),
]


@pytest.mark.parametrize(("rule", "data", "expected"), COMBINATIONS)
def test_combinations(rule: dict[str, Any], data: Any, expected: bool) -> None:
    assert evaluate(rule, data) is expected


# ASL-CHOICE-8: only * is special; \* is a literal star, \\ a literal backslash.
# Patterns are written as the decoded JSON string, so r"\*" is the JSON text "\\*".
MATCHES = [
    pytest.param("*", "", True, id="star-matches-empty"),
    pytest.param("*", "anything at all", True, id="star-matches-all"),
    pytest.param("log-*.txt", "log-2024.txt", True, id="infix"),
    pytest.param("log-*.txt", "log-.txt", True, id="infix-empty-run"),
    pytest.param("log-*.txt", "log-2024.csv", False, id="infix-wrong-suffix"),
    pytest.param("*.txt", "a.txt.bak", False, id="anchored-at-end"),
    pytest.param("log*", "a-log", False, id="anchored-at-start"),
    pytest.param("a*b*c", "aXXbYYc", True, id="two-stars"),
    pytest.param("a*b*c", "acb", False, id="two-stars-out-of-order"),
    pytest.param("a**b", "ab", True, id="double-star"),
    pytest.param("a*a", "a", False, id="prefix-and-suffix-do-not-overlap"),
    pytest.param("*ab*b", "ab", False, id="middle-and-suffix-do-not-overlap"),
    pytest.param("*ab*b", "abab", True, id="middle-then-suffix"),
    pytest.param("exact", "exact", True, id="no-star"),
    pytest.param("exact", "exactly", False, id="no-star-is-whole-string"),
    pytest.param("foo?", "foox", False, id="question-mark-is-literal"),
    pytest.param("foo?", "foo?", True, id="question-mark-matches-itself"),
    pytest.param("[ab]", "a", False, id="brackets-are-literal"),
    pytest.param("[ab]*", "[ab]c", True, id="brackets-match-themselves"),
    pytest.param("a.c", "abc", False, id="dot-is-literal"),
    pytest.param("^(a+)$", "^(a+)$", True, id="regex-metacharacters-are-literal"),
    pytest.param(r"log-\*.txt", "log-*.txt", True, id="escaped-star"),
    pytest.param(r"log-\*.txt", "log-1.txt", False, id="escaped-star-is-not-a-wildcard"),
    pytest.param(r"\**", "*suffix", True, id="escaped-then-wildcard"),
    pytest.param("a\\\\b", "a\\b", True, id="escaped-backslash"),
    pytest.param("a\\\\*", "a\\xyz", True, id="escaped-backslash-then-wildcard"),
    pytest.param("a\\\\*", "a*", False, id="escaped-backslash-does-not-escape-star"),
    pytest.param("a\\b", "a\\b", True, id="lone-backslash-is-literal"),
    pytest.param("end\\", "end\\", True, id="trailing-backslash-is-literal"),
    pytest.param("*", "line1\nline2", True, id="star-spans-newlines"),
    pytest.param("é*", "été", True, id="non-ascii"),
    pytest.param("*😀", "smile 😀", True, id="non-bmp"),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), MATCHES)
def test_string_matches(pattern: str, value: str, expected: bool) -> None:
    assert check("StringMatches", pattern, value) is expected


def test_string_matches_resists_backtracking() -> None:
    # A naive ".*a.*a..." regex takes minutes on this near miss; ASL-CHOICE-8 patterns
    # come from definitions but the strings come from execution input.
    rule = compile_rule(var("$.v", "StringMatches", "*a*a*a*a*a*a*a*b"))
    started = time.perf_counter()
    assert rule.evaluate(Scope({"v": "a" * 20_000})) is False
    assert time.perf_counter() - started < 1.0


# ASL-CHOICE-7: Java String.compareTo order (UTF-16 code units), not code points.
SMILE = "\U0001f600"  # outside the BMP: surrogates D83D DE00
HALFWIDTH = "\uff61"  # in the BMP above the surrogates: FF61
JAVA_ORDER = [
    pytest.param("StringLessThan", "A ", "A", True, id="prefix-is-smaller"),
    pytest.param("StringLessThan", "ABC", "AB", True, id="shorter-prefix"),
    pytest.param("StringLessThan", "a", "Z", True, id="uppercase-before-lowercase"),
    pytest.param("StringGreaterThan", "AZ", "B", True, id="first-difference-decides"),
    pytest.param("StringGreaterThan", "z", "é", True, id="bmp-above-ascii"),
    # Python says SMILE > HALFWIDTH (code point 1F600 > FF61); Java says D83D < FF61.
    pytest.param("StringLessThan", HALFWIDTH, SMILE, True, id="non-bmp-sorts-below-ff61"),
    pytest.param("StringGreaterThan", HALFWIDTH, SMILE, False, id="non-bmp-not-above"),
    pytest.param("StringGreaterThanEquals", SMILE, HALFWIDTH, True, id="ff61-above-non-bmp"),
    pytest.param("StringLessThanEquals", SMILE, SMILE, True, id="non-bmp-equal"),
    pytest.param("StringLessThan", "\ud7ff", SMILE, False, id="below-surrogates-still-below"),
    pytest.param("StringEquals", SMILE, SMILE, True, id="non-bmp-equals"),
]


@pytest.mark.parametrize(("operator", "literal", "value", "expected"), JAVA_ORDER)
def test_java_string_order(operator: str, literal: str, value: str, expected: bool) -> None:
    assert check(operator, literal, value) is expected


def test_java_order_for_path_variant() -> None:
    data = {"a": SMILE, "b": HALFWIDTH}
    assert evaluate(var("$.a", "StringLessThanPath", "$.b"), data) is True


# Indefinite Variable paths select a list, which is then the value compared.
INDEFINITE = [
    pytest.param("NumericEquals", 1, False, id="list-is-not-a-number"),
    pytest.param("StringEquals", "[1, 2]", False, id="list-is-not-a-string"),
    pytest.param("IsNull", True, False, id="list-is-not-null"),
    pytest.param("IsNumeric", False, True, id="IsNumeric-false"),
]


@pytest.mark.parametrize(("operator", "literal", "expected"), INDEFINITE)
def test_indefinite_variable(operator: str, literal: Any, expected: bool) -> None:
    assert evaluate({"Variable": "$.items[*].n", operator: literal}, scope=SCOPE) is expected


def test_indefinite_path_over_a_string_input() -> None:
    # A JSON string has no members, so "$..a" selects nothing whatever the string says.
    assert evaluate(var("$..a", "IsPresent", True), "[") is False
    assert evaluate(var("$..a", "IsPresent", True), '{"a": 1}') is False


def test_next_is_kept_on_a_top_level_rule() -> None:
    rule = compile_rule({"Variable": "$.v", "IsNull": True, "Next": "Done", "Comment": "c"})
    assert isinstance(rule, ChoiceRule)
    assert rule.next == "Done"
    assert compile_rule(var("$.v", "IsNull", True)).next is None


def test_operator_names() -> None:
    # ASL-CHOICE-3: 17 binary comparisons, 16 Path variants (no StringMatchesPath), 6 Is*.
    binary = {
        *(f"String{s}" for s in ("Equals", "LessThan", "GreaterThan", "LessThanEquals")),
        "StringGreaterThanEquals",
        *(f"Numeric{s}" for s in ("Equals", "LessThan", "GreaterThan", "LessThanEquals")),
        "NumericGreaterThanEquals",
        "BooleanEquals",
        *(f"Timestamp{s}" for s in ("Equals", "LessThan", "GreaterThan", "LessThanEquals")),
        "TimestampGreaterThanEquals",
    }
    type_tests = {"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}
    expected = binary | {f"{name}Path" for name in binary} | {"StringMatches"} | type_tests
    assert len(expected) == 39
    assert expected == OPERATORS
    assert BOOLEAN_OPERATORS == {"And", "Or", "Not"}


def _deep_not(depth: int) -> dict[str, Any]:
    rule: dict[str, Any] = var("$.v", "IsNull", True)
    for _ in range(depth):
        rule = {"Not": rule}
    return rule


def test_deep_nesting_within_the_limit_works() -> None:
    assert evaluate(_deep_not(150), {"v": None}) is True


# ASL-CHOICE-1/3: malformed rules raise ChoiceRuleError, located by JSON pointer.
MALFORMED = [
    pytest.param([], "must be an object", "", id="not-an-object"),
    pytest.param({"Variable": "$.x", "Next": "A"}, "found none", "", id="no-operator"),
    pytest.param(var("$.x", "NumericEqual", 1), "found none", "", id="misspelt"),
    pytest.param(
        {"Variable": "$.x", "NumericEquals": 1, "StringEquals": "a"},
        "NumericEquals, StringEquals",
        "",
        id="two-operators",
    ),
    pytest.param({"And": [], "Or": []}, "exactly one operator", "", id="two-combinators"),
    pytest.param({"NumericEquals": 1}, "needs a Variable", "", id="no-Variable"),
    pytest.param(
        {"Variable": 1, "NumericEquals": 1}, "path string", "/Variable", id="Variable-number"
    ),
    pytest.param(var("x", "NumericEquals", 1), "must start with '$'", "/Variable", id="not-a-path"),
    pytest.param(var("$.x", "NumericEquals", "1"), "a number", "/NumericEquals", id="number-text"),
    pytest.param(var("$.x", "NumericLessThan", True), "a number", "/NumericLessThan", id="bool"),
    pytest.param(var("$.x", "StringEquals", 1), "a string", "/StringEquals", id="string-number"),
    pytest.param(
        var("$.x", "BooleanEquals", "true"), "a boolean", "/BooleanEquals", id="bool-text"
    ),
    pytest.param(
        var("$.x", "TimestampEquals", "2016-08-18"),
        "a timestamp",
        "/TimestampEquals",
        id="bad-timestamp-literal",
    ),
    pytest.param(var("$.x", "StringMatches", 1), "a string", "/StringMatches", id="matches-number"),
    pytest.param(var("$.x", "IsNull", "true"), "true or false", "/IsNull", id="is-text"),
    pytest.param(var("$.x", "IsPresent", 1), "true or false", "/IsPresent", id="is-number"),
    pytest.param(
        var("$.x", "NumericEqualsPath", 5),
        "path string",
        "/NumericEqualsPath",
        id="path-operand-number",
    ),
    pytest.param(
        var("$.x", "StringEqualsPath", "y"),
        "must start with '$'",
        "/StringEqualsPath",
        id="path-operand-not-a-path",
    ),
    pytest.param({"And": []}, "an empty array", "/And", id="empty-And"),
    pytest.param({"Or": var("$.x", "IsNull", True)}, "non-empty array", "/Or", id="Or"),
    pytest.param({"Not": []}, "rule object", "/Not", id="Not-array"),
    pytest.param({"And": [1]}, "must be an object", "/And/0", id="And-number"),
    pytest.param(
        {"Not": {"Variable": "$.x", "IsNull": True, "Next": "A"}},
        "nested",
        "/Not/Next",
        id="Next-in-nested-rule",
    ),
    pytest.param(
        {
            "Or": [
                var("$.x", "IsNull", True),
                {"And": [var("$.x", "NumericEquals", "a")]},
            ]
        },
        "a number",
        "/Or/1/And/0/NumericEquals",
        id="nested-location",
    ),
    pytest.param(
        {"Variable": "$.x", "Not": var("$.x", "IsNull", True)},
        "not allowed beside Not",
        "/Variable",
        id="Variable-beside-Not",
    ),
    pytest.param(
        {"Variable": "$.x", "IsNull": True, "Next": 5}, "state name", "/Next", id="Next-number"
    ),
    pytest.param(
        {"Variable": "$.x", "IsNull": True, "Next": None}, "state name", "/Next", id="Next-null"
    ),
    pytest.param(_deep_not(300), "deeper than", None, id="too-deep"),
]


@pytest.mark.parametrize(("raw", "fragment", "location"), MALFORMED)
def test_malformed_rules(raw: Any, fragment: str, location: str | None) -> None:
    with pytest.raises(ChoiceRuleError) as info:
        compile_rule(raw)
    assert fragment in str(info.value)
    if location is not None:
        assert info.value.location == location
    assert isinstance(info.value, ValueError)


# --- properties ---------------------------------------------------------------------------

_TIMESTAMPS = st.datetimes(timezones=st.just(None)).map(lambda d: d.isoformat() + "Z")
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | _TIMESTAMPS
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]) | st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)
_INPUTS = (
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _JSON, max_size=3)
    | st.lists(_JSON, max_size=3)
    | _SCALARS
)

_LITERAL_OPERANDS: dict[str, Any] = {
    "String": "m",
    "Numeric": 1,
    "Boolean": True,
    "Timestamp": "2020-01-01T00:00:00Z",
}


def _fixed_rules() -> list[ChoiceRule]:
    raws: list[dict[str, Any]] = []
    for name in sorted(OPERATORS):
        if name.endswith("Path"):
            raws.append({"Variable": "$.a", name: "$.b"})
        elif name.startswith("Is"):
            raws.append({"Variable": "$.a", name: True})
            raws.append({"Variable": "$.a.c", name: False})
        elif name == "StringMatches":
            raws.append({"Variable": "$.a", name: "*a\\*b*"})
        else:
            family = next(f for f in _LITERAL_OPERANDS if name.startswith(f))
            raws.append({"Variable": "$.a", name: _LITERAL_OPERANDS[family]})
    raws += [
        var("$", "StringEquals", "x"),
        var("$.a[0]", "NumericGreaterThan", 0),
        var("$..a", "IsPresent", True),
        var("$.a[*]", "NumericEquals", 1),
        var("$..c", "StringLessThan", "q"),
        {
            "Or": [
                {
                    "And": [
                        var("$.a", "IsPresent", True),
                        var("$.a", "IsNull", False),
                    ]
                },
                {"Not": var("$.b", "TimestampLessThanPath", "$.c")},
            ],
            "Next": "X",
        },
    ]
    return [compile_rule(raw) for raw in raws]


FIXED_RULES = _fixed_rules()


@settings(max_examples=300)
@given(_INPUTS)
def test_evaluate_raises_nothing_but_path_not_found(data: Any) -> None:
    # ASL-CHOICE-4/5: arbitrary input either matches, does not match, or is a missing path.
    scope = Scope(data, {"Execution": {"Name": "n"}}, {"v": data})
    for rule in FIXED_RULES:
        try:
            result = rule.evaluate(scope)
        except PathNotFound:
            continue
        assert type(result) is bool


def _glob_reference(pattern: str, text: str) -> bool:
    # Independent dynamic-programming matcher over the same token rules (ASL-CHOICE-8).
    tokens: list[str | None] = []  # None is the wildcard
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            tokens.append(pattern[i + 1])
            i += 2
        else:
            tokens.append(None if pattern[i] == "*" else pattern[i])
            i += 1
    reachable = [True] + [False] * len(text)
    for token in tokens:
        if token is None:
            for j in range(1, len(text) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [reachable[j] and text[j] == token for j in range(len(text))]
    return reachable[-1]


@given(st.text("ab*\\?", max_size=8), st.text("ab*\\?", max_size=10))
def test_string_matches_agrees_with_a_reference_matcher(pattern: str, text: str) -> None:
    assert check("StringMatches", pattern, text) is _glob_reference(pattern, text)


def _code_units(text: str) -> list[int]:
    units: list[int] = []
    for char in text:
        point = ord(char)
        if point > 0xFFFF:
            point -= 0x10000
            units += [0xD800 + (point >> 10), 0xDC00 + (point & 0x3FF)]
        else:
            units.append(point)
    return units


_MIXED_TEXT = st.text(
    st.sampled_from(["a", "é", "\ue000", HALFWIDTH, SMILE, "\U00010000"]), max_size=4
)


@given(_MIXED_TEXT | st.text(max_size=4), _MIXED_TEXT | st.text(max_size=4))
def test_string_order_is_utf16_code_unit_order(left: str, right: str) -> None:
    # ASL-CHOICE-7, checked against an explicit code-unit computation.
    expected = _code_units(left) < _code_units(right)
    assert check("StringLessThan", right, left) is expected
    assert evaluate(var("$.l", "StringLessThanPath", "$.r"), {"l": left, "r": right}) is expected


@given(
    st.integers() | st.floats(allow_nan=False),
    st.integers() | st.floats(allow_nan=False, allow_infinity=False),
)
def test_numeric_order_is_double_order(value: int | float, literal: int | float) -> None:
    # ASL-CHOICE-9: both sides are IEEE-754 doubles.
    def double(x: int | float) -> float:
        try:
            return float(x)
        except OverflowError:
            return float("inf") if x > 0 else float("-inf")

    assert check("NumericLessThan", literal, value) is (double(value) < double(literal))
    assert check("NumericEquals", literal, value) is (double(value) == double(literal))

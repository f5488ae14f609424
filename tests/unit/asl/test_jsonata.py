"""The JSONata adapter: expressions, ``$states``, AWS's functions, engine differences pinned.

AWS documentation: "Transforming data with JSONata in Step Functions" (QL-1..QL-11) and its
"JSONata functions provided by Step Functions" section (JFN-1).
"""

from __future__ import annotations

import re
from typing import Any

import jsonata as jsonata_python
import jsonatapy
import pytest

from statewise.asl.entropy import SeededEntropy
from statewise.asl.jsonata import (
    UNDEFINED,
    JsonataError,
    JsonataScope,
    JsonataSyntaxError,
    compile_expression,
    is_expression,
)

NOW = 1_767_225_600.25  # 2026-01-01T00:00:00.250Z
V4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def scope(**overrides: Any) -> JsonataScope:
    values: dict[str, Any] = {
        "input": {"a": 1, "f": 1.0, "items": [{"p": 1}, {"p": 5}, {"p": 9}], "s": "abc"},
        "context": {"State": {"Name": "S"}, "Execution": {"Input": {"x": 1}}},
        "variables": {"v": 42, "obj": {"k": [1, 2]}},
        "now": NOW,
        "entropy": SeededEntropy(3),
    }
    values.update(overrides)
    return JsonataScope(**values)


def value(source: str, **overrides: Any) -> Any:
    return compile_expression(source).evaluate(scope(**overrides))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{% 1 %}", True, id="QL-2-whole-string"),
        pytest.param("{%1%}", True, id="QL-2-no-spaces"),
        pytest.param(" {% 1 %}", False, id="QL-2-leading-space-is-literal"),
        pytest.param("{% 1 %} ", False, id="QL-2-trailing-space-is-literal"),
        pytest.param("a {% 1 %}", False, id="QL-2-text-around-is-literal"),
        pytest.param("$states.input", False, id="QL-2-plain-string-is-literal"),
        pytest.param(1, False, id="QL-2-not-a-string"),
    ],
)
def test_ql2_what_is_an_expression(text: object, expected: bool) -> None:
    assert is_expression(text) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("{% $states.input.a %}", 1, id="QL-4-states-input"),
        pytest.param("{% $states.context.State.Name %}", "S", id="QL-4-states-context"),
        pytest.param("{% $states.context.Execution.Input.x %}", 1, id="QL-11-execution-input"),
        pytest.param("{% $v + 1 %}", 43, id="VAR-2-variable"),
        pytest.param("{% $obj.k[1] %}", 2, id="VAR-2-variable-path"),
        pytest.param("{% $sum($states.input.items[p > 2].p) %}", 14, id="QL-1-filter-and-sum"),
        pytest.param("{% $states.input.items[p > 6].p %}", 9, id="QL-9-singleton-sequence"),
        pytest.param("{% $states.input.items.p %}", [1, 5, 9], id="QL-9-sequence"),
        pytest.param("{% null %}", None, id="QL-6-null-is-a-value"),
        pytest.param("{% $states.input.s & '!' %}", "abc!", id="QL-11-format-is-concat"),
        pytest.param("{% 'b' in ['a', 'b'] %}", True, id="QL-11-array-contains-is-in"),
        pytest.param("{% $count([1, 2]) %}", 2, id="QL-11-array-length-is-count"),
        pytest.param("{% $distinct([1, 1, 2]) %}", [1, 2], id="QL-11-array-unique-is-distinct"),
        pytest.param("{% $merge([{'a': 1}, {'b': 2}]) %}", {"a": 1, "b": 2}, id="QL-11-merge"),
        pytest.param("{% $string({'a': [1]}) %}", '{"a":[1]}', id="QL-11-json-to-string"),
        pytest.param("{% $exists($states.input.a) %}", True, id="QL-11-is-present-exists"),
        pytest.param("{% ($x := 2; $x * 3) %}", 6, id="QL-1-block-with-binding"),
    ],
)
def test_expressions_read_states_and_variables(source: str, expected: Any) -> None:
    assert value(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{% $states.input.missing %}", id="QL-6-missing-member"),
        pytest.param("{% $neverAssigned %}", id="VAR-9-unassigned-variable"),
        pytest.param("{% $states.result %}", id="QL-4-no-result-outside-task-output"),
        pytest.param("{% $states.errorOutput %}", id="QL-4-no-error-output-outside-catch"),
        pytest.param("{% $states.input.items[p > 100] %}", id="QL-6-empty-filter"),
    ],
)
def test_ql6_undefined_is_not_null(source: str) -> None:
    assert value(source) is UNDEFINED


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("{% 4 / 2 %}", 2, id="QL-10-division"),
        pytest.param("{% 2.0 %}", 2, id="QL-10-literal"),
        pytest.param("{% $states.input.f %}", 1, id="QL-10-from-input"),
        pytest.param("{% 1.5 * 2 %}", 3, id="QL-10-product"),
        pytest.param("{% $string(1.0) %}", "1", id="QL-10-string"),
    ],
)
def test_ql10_whole_numbers_are_integers(source: str, expected: int) -> None:
    result = value(source)
    assert result == expected
    assert type(result) is type(expected)


# --- AWS's own functions (JFN-1) --------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("{% $partition([1, 2, 3, 4, 5], 2) %}", [[1, 2], [3, 4], [5]], id="partition"),
        pytest.param("{% $partition([], 2) %}", [], id="partition-empty"),
        pytest.param("{% $range(0, 10, 3) %}", [0, 3, 6, 9], id="range"),
        pytest.param("{% $range(0, 10, 2) %}", [0, 2, 4, 6, 8, 10], id="range-includes-end"),
        pytest.param("{% $range(5, 1, -2) %}", [5, 3, 1], id="range-negative-step"),
        pytest.param("{% $range(1, 9, 9) %}", 1, id="QL-9-range-singleton-is-scalar"),
        pytest.param(
            "{% $hash('input data', 'SHA-1') %}",
            "aaff4a450a104cd177d28d18d74485e8cae074b7",
            id="hash-sha1-as-aws-computes-it",
        ),
        pytest.param("{% $hash('a', 'MD5') %}", "0cc175b9c0f1b6a831c399e269772661", id="hash-md5"),
        pytest.param("{% $parse('{\"a\": [1, null]}') %}", {"a": [1, None]}, id="parse"),
        pytest.param("{% $parse('\"text\"') %}", "text", id="parse-string"),
        pytest.param("{% $random(7) = $random(7) %}", True, id="random-same-seed-same-value"),
    ],
)
def test_jfn1_functions(source: str, expected: Any) -> None:
    assert value(source) == expected


def test_jfn1_random_is_between_0_and_1_and_uses_injected_entropy() -> None:
    first = value("{% $random() %}", entropy=SeededEntropy(9))
    again = value("{% $random() %}", entropy=SeededEntropy(9))
    assert 0 <= first < 1
    assert first == again


def test_jfn1_uuid_is_version_4_from_injected_entropy() -> None:
    uuid = value("{% $uuid() %}", entropy=SeededEntropy(5))
    assert re.fullmatch(V4, uuid)
    assert uuid == value("{% $uuid() %}", entropy=SeededEntropy(5))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("{% $now() %}", "2026-01-01T00:00:00.250Z", id="now-is-engine-clock"),
        pytest.param("{% $millis() %}", 1_767_225_600_250, id="millis-is-engine-clock"),
        pytest.param("{% $now('[Y0001]-[M01]') %}", "2026-01", id="now-with-picture"),
        pytest.param("{% $now() = $now() %}", True, id="now-is-stable-within-an-evaluation"),
    ],
)
def test_jfn1_clock_functions_read_the_engine_clock(source: str, expected: Any) -> None:
    """Virtual time applies: the value comes from the scope, never the host clock."""
    assert value(source) == expected


@pytest.mark.parametrize(
    ("source", "code", "problem"),
    [
        pytest.param(
            "{% $eval('1 + 1') %}",
            "T1006",
            "Attempted to invoke a non-function",
            id="QL-1-no-eval",
        ),
        pytest.param(
            "{% $randomSeeded(1) %}",
            "T1006",
            "Attempted to invoke a non-function",
            id="JFN-1-other-names-are-not-functions",
        ),
        pytest.param(
            "{% 'a' + 1 %}",
            "T2001",
            "The left side of the + operator must evaluate to a number",
            id="QL-7-coded-error",
        ),
        pytest.param(
            "{% $partition('x', 1) %}",
            None,
            "The first argument of $partition must be an array",
            id="JFN-1-argument-error",
        ),
        pytest.param(
            "{% $range(1, 2, 0) %}", None, "The third argument of $range must not be zero", id="r0"
        ),
        pytest.param(
            "{% $hash('a', 'SHA-3') %}",
            None,
            "The hash algorithm must be one of: MD5, SHA-1, SHA-256, SHA-384, SHA-512",
            id="JFN-1-hash-algorithms",
        ),
    ],
)
def test_errors_carry_jsonata_codes(source: str, code: str | None, problem: str) -> None:
    with pytest.raises(JsonataError) as caught:
        value(source)
    assert (caught.value.code, caught.value.problem) == (code, problem)


def test_ql7_cause_tails_as_aws_ends_them() -> None:
    """AWS ends a coded error ``. CODE: message`` and an uncoded one ``: message``."""
    assert JsonataError("Attempted to invoke a non-function", "T1006").tail() == (
        ". T1006: Attempted to invoke a non-function"
    )
    assert JsonataError("memory limit", None).tail() == ": memory limit"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{% 1 + %}", id="incomplete"),
        pytest.param("{%  %}", id="empty"),
        pytest.param("{% $x := 1; $x %}", id="block-needs-parentheses"),
    ],
)
def test_syntax_errors_at_compile(source: str) -> None:
    with pytest.raises(JsonataSyntaxError):
        compile_expression(source)


def test_only_referenced_variables_are_bound() -> None:
    """A variable named like a built-in shadows it only where the workflow assigned it."""
    assert value("{% $count([1]) %}", variables={"other": 1}) == 1
    assert value("{% $big %}", variables={"big": 2**70}) == float(2**70)


# --- where the fast engine and the JSONata reference disagree -----------------------------


def test_engine_difference_encode_url_is_overridden() -> None:
    """jsonatapy 2.2.13 leaves spaces in ``$encodeUrl``; the reference (encodeURI) escapes
    them. We override the function; this pin fails once jsonatapy is fixed."""
    assert jsonatapy.evaluate("$encodeUrl('a b')", None) == "a b"
    assert jsonata_python.Jsonata("$encodeUrl('a b')").evaluate(None) == "a%20b"
    assert value("{% $encodeUrl('a b/c?d=é') %}") == "a%20b/c?d=%C3%A9"


def test_engine_difference_range_operator_outside_an_array() -> None:
    """``1..3`` outside ``[...]``: jsonatapy and jsonata-js accept it, jsonata-python does
    not. jsonatapy decides what parses, so it is valid here."""
    with pytest.raises(Exception, match="Syntax error"):
        jsonata_python.Jsonata("1..3")
    assert value("{% 1..3 %}") == [1, 2, 3]


def test_engine_difference_count_of_null() -> None:
    """``$count(null)`` is 1 on AWS (observed) and in jsonatapy."""
    assert value("{% $count(null) %}") == 1


def test_engine_difference_whole_number_floats() -> None:
    """jsonata-python keeps ``1.0`` from the input as a float; jsonatapy gives ``1`` as AWS
    serialises whole numbers (QL-10): jsonatapy is the engine used."""
    assert jsonata_python.Jsonata("f").evaluate({"f": 1.0}) == 1.0
    assert type(jsonata_python.Jsonata("f").evaluate({"f": 1.0})) is float
    assert type(value("{% $states.input.f %}")) is int


# --- ``$states`` as the input document (a speed rewrite) changes no result ------------------

REWRITTEN = [
    "{% $states.input.items[p > $states.input.a].p %}",
    "{% $map($states.input.items, function($i) { $i.p + $states.input.a }) %}",
    "{% $keys($states) %}",
    "{% '$states.input' & $states.input.s %}",
    "{% $v ? $states.input.a : $states.context.State.Name %}",
    "{% ($t := $states.input; $t.s) %}",
    "{% $states.input.items^(>p)[0].p %}",
    "{% $states.input.items{'k': p} %}",
    "{% $exists($states.result) %}",
    "{% [$states.input.a, $obj.k] %}",
]


@pytest.mark.parametrize("source", REWRITTEN)
def test_states_as_document_gives_the_same_values(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = compile_expression(source)
    assert fast._document
    expected = fast.evaluate(scope())
    monkeypatch.setattr("statewise.asl.jsonata.jsonata_tree.states_as_document", lambda t: None)
    slow = compile_expression(source)
    assert not slow._document
    assert slow.evaluate(scope()) == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{% $match($states.input.s, /\\$states/) %}", id="in-a-regex-literal"),
        pytest.param("{% function($states) { $states }(1) %}", id="bound-locally"),
    ],
)
def test_states_as_document_is_skipped_when_unsure(source: str) -> None:
    expression = compile_expression(source)
    assert not expression._document
    expression.evaluate(scope())


def test_a_written_root_reference_reads_nothing() -> None:
    """Step Functions gives expressions no input document: ``$$`` is undefined there."""
    assert value("{% $map([1], function($v) { $$ }) %}") is UNDEFINED


@pytest.mark.parametrize(
    ("source", "code"),
    [
        pytest.param("{% ($f := function() { $f() }; $f()) %}", "D1012", id="endless-loop"),
        pytest.param(
            "{% ($f := function($n) { 1 + $f($n + 1) }; $f(0)) %}", "D1011", id="deep-recursion"
        ),
    ],
)
def test_guardrails_fail_runaway_expressions(
    source: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An expression must not hang the engine: it fails, as on AWS, catchably (QL-7)."""
    monkeypatch.setattr("statewise.asl.jsonata.EVALUATION_TIMEOUT_MS", 100)
    with pytest.raises(JsonataError) as caught:
        value(source)
    assert caught.value.code == code


def test_tail_recursion_is_not_limited() -> None:
    assert value("{% ($f := function($n) { $n > 0 ? $f($n - 1) : 'done' }; $f(10000)) %}") == (
        "done"
    )

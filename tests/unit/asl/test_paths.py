"""JSONPath reads, Reference Paths and ResultPath writes (PATH-1..PATH-3, IO-4)."""

from __future__ import annotations

from typing import Any

import pytest

from statewise.asl.paths import (
    PathNotFound,
    PathSyntaxError,
    ResultPathError,
    Root,
    Scope,
    compile_path,
    compile_reference_path,
    compile_result_path,
    write,
)

DATA = {
    "a": {"b": [10, 20, {"c": "deep"}]},
    "items": [{"x": 1}, {"x": 7}, {"x": 9}],
    "odd key": 1,
    "dash-key": 2,
    "n": None,
}
SCOPE = Scope(
    input=DATA,
    context={"Execution": {"Id": "arn:x", "Input": {"k": 1}}, "State": {"Name": "S"}},
    variables={"order": {"id": 42, "lines": [1, 2]}, "flag": True},
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("$", DATA, id="root"),
        pytest.param("$.a.b[1]", 20, id="dot-and-index"),
        pytest.param("$.a.b[2].c", "deep", id="index-then-member"),
        pytest.param("$['odd key']", 1, id="bracket-quoted-with-space"),
        pytest.param('$["a"]["b"][0]', 10, id="double-quoted-brackets"),
        pytest.param("$.dash-key", 2, id="dash-in-dot-name"),
        pytest.param("$.n", None, id="present-null"),
        pytest.param("$$.Execution.Id", "arn:x", id="PATH-3-context-root"),
        pytest.param("$$", SCOPE.context, id="PATH-3-whole-context"),
        pytest.param("$order.id", 42, id="PATH-3-variable-root"),
        pytest.param("$order.lines[1]", 2, id="variable-with-index"),
        pytest.param("$flag", True, id="variable-whole"),
        pytest.param("$.items[*].x", [1, 7, 9], id="PATH-1-wildcard-gives-list"),
        pytest.param("$.items[?(@.x >= 5)]", [{"x": 7}, {"x": 9}], id="PATH-1-filter"),
        pytest.param("$..x", [1, 7, 9], id="PATH-1-deep-scan"),
        pytest.param("$.items[0:2]", [{"x": 1}, {"x": 7}], id="PATH-1-slice"),
        pytest.param("$.items[?(@.x > 100)]", [], id="filter-matching-nothing-is-empty-list"),
    ],
)
def test_read(path: str, expected: Any) -> None:
    """Paths select from input, context or variables; indefinite paths give lists (PATH-1)."""
    assert compile_path(path).read(SCOPE) == expected


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        pytest.param("$.nope", "$['nope']", id="missing-member"),
        pytest.param("$.a.b[9]", "$['a']['b'][9]", id="index-out-of-range"),
        pytest.param("$.a.b.c", "$['a']['b']['c']", id="member-of-array"),
        pytest.param("$.odd key.x", None, id="space-is-not-a-dot-name"),
        pytest.param("$nobody", "$nobody", id="unknown-variable"),
    ],
)
def test_missing(path: str, missing: str | None) -> None:
    """A definite path that selects nothing raises PathNotFound naming where (PATH-6)."""
    try:
        compiled = compile_path(path)
    except PathSyntaxError:
        assert missing is None
        return
    with pytest.raises(PathNotFound) as info:
        compiled.read(SCOPE)
    assert info.value.missing == missing


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("a.b", id="no-dollar"),
        pytest.param("$.a[", id="unclosed-bracket"),
        pytest.param("$.a[?(@.x >]", id="broken-filter"),
        pytest.param("", id="empty"),
    ],
)
def test_syntax_errors(path: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(path)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("$.a[*]", id="wildcard"),
        pytest.param("$..a", id="deep-scan"),
        pytest.param("$.a[0:1]", id="slice"),
        pytest.param("$.a[?(@.x)]", id="filter"),
    ],
)
def test_reference_paths_are_definite(path: str) -> None:
    """A Reference Path has only member and index steps (PATH-2)."""
    compile_path(path)
    with pytest.raises(PathSyntaxError):
        compile_reference_path(path)


@pytest.mark.parametrize(
    "path",
    [pytest.param("$$.Execution", id="context"), pytest.param("$var.x", id="variable")],
)
def test_result_path_must_target_input(path: str) -> None:
    """ResultPath never writes into the context or a variable (PATH-3)."""
    with pytest.raises(PathSyntaxError):
        compile_result_path(path)


def test_roots() -> None:
    assert compile_path("$.x").root is Root.INPUT
    assert compile_path("$$.x").root is Root.CONTEXT
    path = compile_path("$v.x")
    assert (path.root, path.variable) == (Root.VARIABLE, "v")


@pytest.mark.parametrize(
    ("target", "steps", "expected"),
    [
        pytest.param({"a": 1}, ("a",), {"a": "R"}, id="IO-4-overwrite-existing"),
        pytest.param({"a": 1}, ("b",), {"a": 1, "b": "R"}, id="IO-4-add-member"),
        pytest.param({}, ("x", "y", "z"), {"x": {"y": {"z": "R"}}}, id="IO-4-create-parents"),
        pytest.param({"x": {"k": 1}}, ("x", "y"), {"x": {"k": 1, "y": "R"}}, id="merge-into"),
        pytest.param({"l": [1, 2]}, ("l", 1), {"l": [1, "R"]}, id="array-index"),
        pytest.param({"a": 1}, (), "R", id="root-replaces"),
    ],
)
def test_write(target: Any, steps: tuple[Any, ...], expected: Any) -> None:
    before = repr(target)
    assert write(target, steps, "R") == expected
    assert repr(target) == before, "write must not mutate the raw input"


@pytest.mark.parametrize(
    ("target", "steps"),
    [
        pytest.param("text", ("a",), id="input-not-object"),
        pytest.param({"a": 1}, ("a", "b"), id="through-a-number"),
        pytest.param({"a": None}, ("a", "b"), id="through-null"),
        pytest.param({"l": [1]}, ("l", 5), id="index-out-of-range"),
    ],
)
def test_write_failures(target: Any, steps: tuple[Any, ...]) -> None:
    with pytest.raises(ResultPathError):
        write(target, steps, "R")

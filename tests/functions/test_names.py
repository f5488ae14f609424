"""Function references as Lambda reads them (Invoke's FunctionName: name formats)."""

from __future__ import annotations

import pytest

from statewise.functions import names
from statewise.functions.errors import InvalidParameterValueException, ValidationException


@pytest.mark.parametrize(
    ("text", "qualifier", "expected"),
    [
        pytest.param("my-function", None, ("my-function", None), id="name"),
        pytest.param("my-function:v1", None, ("my-function", "v1"), id="name-with-alias"),
        pytest.param("my-function:3", None, ("my-function", "3"), id="name-with-version"),
        pytest.param(
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            None,
            ("my-function", None),
            id="full-arn",
        ),
        pytest.param(
            "arn:aws:lambda:us-west-2:123456789012:function:my-function:$LATEST",
            None,
            ("my-function", "$LATEST"),
            id="qualified-arn",
        ),
        pytest.param(
            "123456789012:function:my-function", None, ("my-function", None), id="partial-arn"
        ),
        pytest.param("my-function", "live", ("my-function", "live"), id="qualifier-parameter"),
        pytest.param("my-function:live", "live", ("my-function", "live"), id="both-agree"),
    ],
)
def test_name_formats(text: str, qualifier: str | None, expected: tuple[str, str | None]) -> None:
    """Invoke, FunctionName: name, full ARN or partial ARN, each optionally qualified."""
    ref = names.parse(text, qualifier)
    assert (ref.name, ref.qualifier) == expected


def test_disagreeing_qualifiers_are_refused() -> None:
    with pytest.raises(InvalidParameterValueException, match="derived qualifier"):
        names.parse("my-function:live", "3")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("bad name", id="space"),
        pytest.param("arn:aws:s3:::bucket", id="not-lambda"),
        pytest.param("a:b:c:d", id="too-many-parts"),
        pytest.param("x" * 65, id="too-long"),
    ],
)
def test_malformed_references(text: str) -> None:
    with pytest.raises(ValidationException, match="at 'functionName' failed to satisfy"):
        names.parse(text)


def test_versions_and_alias_names() -> None:
    assert names.is_version("12") and not names.is_version("$LATEST")
    assert names.is_alias_name("live") and not names.is_alias_name("12")

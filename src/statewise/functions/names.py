"""Function identifiers: names, full and partial ARNs, each optionally qualified."""

from __future__ import annotations

import re
from dataclasses import dataclass

from statewise.functions.errors import InvalidParameterValueException, ValidationException

_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_QUALIFIER = re.compile(r"\$LATEST|[a-zA-Z0-9-_]{1,128}")
_VERSION = re.compile(r"[0-9]+")
_ALIAS = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}")


@dataclass(frozen=True, slots=True)
class FunctionId:
    """A parsed reference to a function.

    Attributes:
        name: the function name.
        qualifier: a version number, ``$LATEST`` or an alias name; None when unqualified.
    """

    name: str
    qualifier: str | None = None


def parse(text: str, qualifier: str | None = None) -> FunctionId:
    """Read ``name``, ``name:qualifier``, ``ACCOUNT:function:name[:q]`` or a function ARN.

    ``qualifier`` is the request's separate Qualifier parameter; given both ways they must
    agree, as Lambda requires.

    Raises:
        ValidationException: not a function reference at all.
        InvalidParameterValueException: the two qualifiers differ.
    """
    parts = text.split(":")
    if text.startswith("arn:"):
        # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise _invalid(text)
        rest = parts[6:]
    elif len(parts) >= 3 and parts[1] == "function":
        rest = parts[2:]
    else:
        rest = parts
    if len(rest) not in (1, 2) or not _NAME.fullmatch(rest[0]):
        raise _invalid(text)
    embedded = rest[1] if len(rest) == 2 else None
    if embedded is not None and not _QUALIFIER.fullmatch(embedded):
        raise _invalid(text)
    if embedded and qualifier and embedded != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionId(rest[0], embedded or qualifier or None)


def is_version(qualifier: str) -> bool:
    """A published version number (as opposed to ``$LATEST`` or an alias)."""
    return bool(_VERSION.fullmatch(qualifier))


def is_alias_name(name: str) -> bool:
    return bool(_ALIAS.fullmatch(name))


def _invalid(text: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{text}' at 'functionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
        r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
    )

"""Request validation from botocore's Step Functions service model, in AWS's wording.

Types, required members, lengths, ranges, patterns and enums come from the model the SDKs
themselves are generated from, so statewise rejects exactly what the service would (WIRE-3):
``1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: ...``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.session import get_session


@functools.cache
def service_model() -> ServiceModel:
    """The Step Functions model shipped with botocore."""
    return get_session().get_service_model("stepfunctions")


@functools.cache
def operation(name: str) -> OperationModel | None:
    """An operation's model, or None for an unknown action."""
    model = service_model()
    if name not in model.operation_names:
        return None
    return model.operation_model(name)


class SerializationError(ValueError):
    """A member whose JSON type does not match the model (AWS: SerializationException)."""


@dataclass(frozen=True, slots=True)
class ConstraintError:
    """One failed model constraint."""

    value: Any
    location: str
    constraint: str

    def render(self) -> str:
        shown = "null" if self.value is None else f"'{self.value}'"
        return f"Value {shown} at '{self.location}' failed to satisfy constraint: {self.constraint}"


def message(errors: list[ConstraintError]) -> str:
    """AWS's ValidationException message for one or more constraint failures."""
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(e.render() for e in errors)


@functools.cache
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text, re.DOTALL)
    except re.error:
        # A Java-only construct (the Lambda model's tag patterns use \p{L}): not checked.
        return None


def validate(shape: StructureShape, body: dict[str, Any]) -> list[ConstraintError]:
    """Every constraint failure of ``body`` against ``shape``.

    Raises:
        SerializationError: a member of the wrong JSON type.
    """
    errors: list[ConstraintError] = []
    _structure(shape, body, "", errors)
    return errors


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _structure(
    shape: StructureShape, value: Any, prefix: str, errors: list[ConstraintError]
) -> None:
    if not isinstance(value, dict):
        raise SerializationError(f"Start of structure or map expected at '{prefix or 'body'}'")
    for name in shape.required_members:
        if value.get(name) is None:
            errors.append(ConstraintError(None, _join(prefix, name), "Member must not be null"))
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            _value(member, value[name], _join(prefix, name), errors)


def _value(shape: Shape, value: Any, location: str, errors: list[ConstraintError]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    shown = "*** Sensitive Data Redacted ***" if meta.get("sensitive") else value
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        _structure(shape, value, location, errors)
        return
    if kind == "list":
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            raise SerializationError(f"Expected a list at '{location}'")
        _length(len(value), meta, shown, location, errors)
        for index, item in enumerate(value, 1):
            _value(shape.member, item, f"{location}.{index}.member", errors)
        return
    if kind == "map":
        assert isinstance(shape, MapShape)
        if not isinstance(value, dict):
            raise SerializationError(f"Expected a map at '{location}'")
        for key, item in value.items():
            _value(shape.value, item, f"{location}.{key}", errors)
        return
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationError(
                f"Expected a string at '{location}' but got {type(value).__name__}"
            )
        _length(len(value), meta, shown, location, errors)
        enum = shape.enum
        if enum and value not in enum:
            errors.append(
                ConstraintError(
                    shown,
                    location,
                    f"Member must satisfy enum value set: [{', '.join(enum)}]",
                )
            )
        pattern = meta.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            errors.append(
                ConstraintError(
                    shown,
                    location,
                    f"Member must satisfy regular expression pattern: {pattern}",
                )
            )
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationError(f"Expected an integer at '{location}'")
        _range(value, meta, location, errors)
        return
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SerializationError(f"Expected a number at '{location}'")
        _range(value, meta, location, errors)
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationError(f"Expected a boolean at '{location}'")
        return
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise SerializationError(f"Expected a timestamp at '{location}'")


def _length(
    length: int,
    meta: dict[str, Any],
    shown: Any,
    location: str,
    errors: list[ConstraintError],
) -> None:
    if "min" in meta and length < meta["min"]:
        errors.append(
            ConstraintError(
                shown,
                location,
                f"Member must have length greater than or equal to {meta['min']}",
            )
        )
    if "max" in meta and length > meta["max"]:
        errors.append(
            ConstraintError(
                shown,
                location,
                f"Member must have length less than or equal to {meta['max']}",
            )
        )


def _range(
    value: float, meta: dict[str, Any], location: str, errors: list[ConstraintError]
) -> None:
    if "min" in meta and value < meta["min"]:
        errors.append(
            ConstraintError(
                value,
                location,
                f"Member must have value greater than or equal to {meta['min']}",
            )
        )
    if "max" in meta and value > meta["max"]:
        errors.append(
            ConstraintError(
                value,
                location,
                f"Member must have value less than or equal to {meta['max']}",
            )
        )

"""Definition diagnostics: AWS's validation codes with a JSON-pointer location."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """The diagnostic codes AWS reports for state machine definitions (API-38)."""

    INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
    MISSING_DESCRIPTION = "MISSING_DESCRIPTION"
    SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
    INVALID_RESOURCE = "INVALID_RESOURCE"
    MISSING_END_STATE = "MISSING_END_STATE"
    DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
    INVALID_STATE_NAME = "INVALID_STATE_NAME"
    DUPLICATE_LABEL_NAME = "DUPLICATE_LABEL_NAME"
    INVALID_LABEL_NAME = "INVALID_LABEL_NAME"
    MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
    TOO_DEEPLY_NESTED = "TOO_DEEPLY_NESTED"
    INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
    UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a definition.

    Attributes:
        code: AWS's diagnostic code.
        message: what is wrong, in AWS's wording where AWS has one.
        location: a JSON pointer into the definition (``/States/A/Next``), ``/`` for the root.
    """

    code: str
    message: str
    location: str = "/"

    def render(self) -> str:
        """``CODE: message at /location``, the form AWS embeds in InvalidDefinition."""
        if self.code == Code.INVALID_JSON_DESCRIPTION:
            return f"{self.code}: {self.message}"
        return f"{self.code}: {self.message} at {self.location}"


class DefinitionError(Exception):
    """A definition that cannot be loaded; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The InvalidDefinition message as AWS formats it."""
        body = ", ".join(d.render() for d in self.diagnostics)
        return f"Invalid State Machine Definition: '{body}'"


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts: ``pointer("States", "A")`` is ``/States/A``."""
    if not parts:
        return "/"
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped)

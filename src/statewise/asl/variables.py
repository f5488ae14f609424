"""Workflow variables: evaluating Assign, its size limits and its history form (VAR-1..VAR-10).

A state's assignments are computed from the values at state entry and returned in its
decision; the engine applies them together after the state (VAR-4). Scoping (VAR-7) is the
engine's: each Parallel branch and Map iteration writes its own scope and reads its
ancestors' through a ChainMap; the validator rejects an inner Assign of an outer name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from statewise.asl.entropy import Entropy
from statewise.asl.errors import FailureError, StatesError
from statewise.asl.limits import MAX_PAYLOAD_BYTES
from statewise.asl.paths import Scope
from statewise.asl.templates import Template
from statewise.types import JSON

# VAR-8: one variable and one Assign's values are at most 256 KiB; all the
# variables an execution stores at most 10 MiB.
MAX_VARIABLE_BYTES = MAX_PAYLOAD_BYTES
MAX_ASSIGN_BYTES = MAX_PAYLOAD_BYTES
MAX_EXECUTION_VARIABLE_BYTES = 10 * 1024 * 1024
RESERVED = "states"  # VAR-5: ``$states`` is the JSONata reserved variable


def _too_large(state: str, what: str) -> FailureError:
    return FailureError(
        StatesError.DATA_LIMIT_EXCEEDED,
        f"The state '{state}' assigned {what} with a size exceeding the maximum number of "
        "bytes service limit.",
    )


def texts(assigned: Mapping[str, JSON]) -> dict[str, str]:
    """Each value as JSON text: how history shows assignments (VAR-10)."""
    return {name: orjson.dumps(value).decode() for name, value in assigned.items()}


def check(state: str, assigned: Mapping[str, JSON]) -> dict[str, str]:
    """Enforce VAR-8 on one state's assignments; returns their JSON texts.

    Raises:
        FailureError: States.DataLimitExceeded for a variable or an Assign over 256 KiB.
    """
    encoded = texts(assigned)
    total = 0
    for name, text in encoded.items():
        size = len(text.encode())
        if size > MAX_VARIABLE_BYTES:
            raise _too_large(state, f"the variable '{name}'")
        total += size
    if total > MAX_ASSIGN_BYTES:
        raise _too_large(state, "variables")
    return encoded


def check_total(state: str, sizes: int) -> None:
    """Enforce the 10 MiB of variables one execution may hold (VAR-8)."""
    if sizes > MAX_EXECUTION_VARIABLE_BYTES:
        raise _too_large(state, "variables whose total for the execution")


def assign_jsonpath(
    template: Template,
    state: str,
    result: JSON,
    context: JSON,
    variables: Mapping[str, JSON],
    entropy: Entropy,
) -> dict[str, Any]:
    """A JSONPath state's Assign: ``.$`` keys read ``result`` as ``$`` (the state's result,
    or a catcher's error output) and ``$$`` the context (VAR-3)."""
    assigned = template.expand(Scope(result, context, variables), entropy)
    assert isinstance(assigned, dict)
    check(state, assigned)
    return assigned

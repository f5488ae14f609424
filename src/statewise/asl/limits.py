"""Size limits AWS enforces on payloads and definitions (Q-1, Q-3)."""

from __future__ import annotations

import orjson

from statewise.asl.errors import FailureError, StatesError
from statewise.types import JSON

MAX_PAYLOAD_BYTES = 262_144
MAX_DEFINITION_CHARS = 1_048_576
MAX_NAME_LENGTH = 80


def encode_output(state_name: str, value: JSON) -> bytes:
    """Serialise a state's output, failing with States.DataLimitExceeded past 256 KiB (IO-7)."""
    data = orjson.dumps(value)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise FailureError(
            StatesError.DATA_LIMIT_EXCEEDED,
            f"The state/task '{state_name}' returned a result with a size exceeding the "
            "maximum number of bytes service limit.",
        )
    return data

"""The recent invocations of each function, kept in memory for the console.

Each function has a ring of its last ``RING_SIZE`` invocations. Recording a successful one
costs a small record and a deque append on the invocation's own path; a failed one also has
its error object read for the type. Counts and text are worked out when someone reads the
ring, not when it is written.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

RING_SIZE = 100
# The same bound as LogType=Tail: what Lambda itself would hand back for one invocation.
LOG_TAIL_BYTES = 4096
# An error payload longer than this is not parsed for its type (a well-formed Lambda error
# object is a few hundred bytes; the status is enough for anything else).
_ERROR_PARSE_BYTES = 65_536
MESSAGE_CHARS = 1000

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvocationRecord:
    """One invocation as it ended.

    Attributes:
        request_id: the invocation's request id.
        start: when it was received (epoch seconds, the service's clock).
        duration: seconds the function ran (as the REPORT line's Duration).
        init_duration: seconds a cold start took, else None.
        version: the version that ran.
        qualifier: the version or alias the caller named, None when unqualified.
        invocation_type: ``RequestResponse`` or ``Event``.
        outcome: ``SUCCEEDED``, ``FAILED`` or ``TIMED_OUT``.
        error_type: the error object's ``errorType`` when it failed.
        error_message: its ``errorMessage``, at most ``MESSAGE_CHARS`` characters.
        log: the tail of the invocation's log, START to REPORT, at most ``LOG_TAIL_BYTES``.
        log_size: the whole log's length in bytes (more than ``len(log)`` when cut).
    """

    request_id: str
    start: float
    duration: float
    init_duration: float | None
    version: str
    qualifier: str | None
    invocation_type: str
    outcome: str
    error_type: str | None = None
    error_message: str | None = None
    log: bytes = b""
    log_size: int = 0


def describe_error(payload: bytes, status: str | None) -> tuple[str, str | None, str | None]:
    """The outcome, error type and message of a failed invocation's error object.

    Only failures pay for this (successes are recorded as they are).
    """
    outcome = TIMED_OUT if status == "timeout" else FAILED
    found = None
    if len(payload) <= _ERROR_PARSE_BYTES:
        try:
            found = orjson.loads(payload)
        except orjson.JSONDecodeError:
            found = None
    if not isinstance(found, dict):
        return outcome, "Unhandled", None
    error_type = found.get("errorType")
    message = found.get("errorMessage")
    return (
        outcome,
        error_type if isinstance(error_type, str) and error_type else "Unhandled",
        message[:MESSAGE_CHARS] if isinstance(message, str) else None,
    )


class RecentInvocations:
    """Per function name, a ring of its latest invocations (oldest dropped first)."""

    def __init__(self, size: int = RING_SIZE) -> None:
        self.size = size
        self._rings: dict[str, deque[InvocationRecord]] = {}

    def add(self, name: str, record: InvocationRecord) -> None:
        ring = self._rings.get(name)
        if ring is None:
            ring = self._rings[name] = deque(maxlen=self.size)
        ring.append(record)

    def newest_first(self, name: str) -> Iterator[InvocationRecord]:
        return reversed(self._rings.get(name, ()))

    def forget(self, name: str) -> None:
        """Drop a deleted function's ring, so a new one of the same name starts empty."""
        self._rings.pop(name, None)

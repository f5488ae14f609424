"""What evaluating one state decides: the engine persists and carries these out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statewise.asl.errors import Failure
from statewise.types import JSON

# Variables a state assigns (VAR-4): applied together once the state is done, and shown in
# its ``...StateExited`` event (VAR-10). None when the state has no Assign at all.
Assigned = dict[str, JSON] | None


@dataclass(frozen=True, slots=True)
class EvaluationFailed:
    """A JSONata expression failed: the ``EvaluationFailed`` history event that precedes
    the failure's handling (QL-8). ``location`` is the field, as in ``Output/v``."""

    error: str
    cause: str
    location: str
    state: str


@dataclass(frozen=True, slots=True)
class Advance:
    """The state finished with ``output``: go to ``next``, or end its scope when None."""

    output: JSON
    next: str | None
    assigned: Assigned = None


@dataclass(frozen=True, slots=True)
class Caught:
    """A failure handled by the catcher at ``catcher``: continue at ``next`` with ``output``."""

    failure: Failure
    output: JSON
    next: str
    catcher: int
    assigned: Assigned = None
    evaluation: EvaluationFailed | None = None


@dataclass(frozen=True, slots=True)
class Fail:
    """The state's scope fails (a Fail state, or an error no catcher handled)."""

    failure: Failure
    evaluation: EvaluationFailed | None = None


@dataclass(frozen=True, slots=True)
class Invoke:
    """A Task: call ``resource`` with ``payload``; the result comes back to the evaluator.

    ``timeout_seconds`` is AWS's effective timeout (the default is 99,999,999, ASL-TASK-2);
    ``timeout_set``/``heartbeat_seconds`` say what the definition set, for history details.
    """

    resource: str
    payload: JSON
    timeout_seconds: int
    timeout_set: bool
    heartbeat_seconds: int | None
    credentials: JSON = None


@dataclass(frozen=True, slots=True)
class Wait:
    """A Wait state: continue at ``next`` (or end) with ``output`` once the delay is over.

    Exactly one of ``seconds`` (relative to when the state was entered) and ``timestamp``.
    """

    output: JSON
    next: str | None
    seconds: int | None = None
    timestamp: datetime | None = None
    assigned: Assigned = None


@dataclass(frozen=True, slots=True)
class RunBranches:
    """A Parallel state: run every branch on ``input``; results return in branch order."""

    input: JSON


@dataclass(frozen=True, slots=True)
class RunIterations:
    """A Map state: one iteration per element of ``inputs``, at most ``max_concurrency`` at once.

    ``max_concurrency`` 0 means unlimited (ASL-MAP-5).
    """

    inputs: tuple[JSON, ...]
    max_concurrency: int


@dataclass(frozen=True, slots=True)
class Retry:
    """Run the state body again after ``delay_seconds``, with the retriers' updated counts."""

    failure: Failure
    delay_seconds: float
    retrier: int
    counts: tuple[int, ...]
    evaluation: EvaluationFailed | None = None


Decision = Advance | Caught | Fail | Invoke | Wait | RunBranches | RunIterations | Retry

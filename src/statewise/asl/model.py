"""The typed, immutable model of a state machine, with every path and template compiled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from statewise.asl.choice import ChoiceRule
from statewise.asl.intrinsics import Intrinsic
from statewise.asl.jsonata_values import Value
from statewise.asl.paths import Path
from statewise.asl.templates import Template
from statewise.types import JSON

# An Assign block (VAR-1): a payload template in a JSONPath state (``.$`` keys read the
# state's result, VAR-3), a JSONata value in a JSONata state.
Assign = Template | Value

# AWS's effective default for Task TimeoutSeconds (ASL-TASK-2): not the spec's 60 seconds.
DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999


class QueryLanguage(StrEnum):
    """The expression language of a state (DEF-1, DEF-7)."""

    JSONPATH = "JSONPath"
    JSONATA = "JSONata"


class StateType(StrEnum):
    """ASL state types, in the order AWS lists them."""

    TASK = "Task"
    WAIT = "Wait"
    PASS = "Pass"
    SUCCEED = "Succeed"
    FAIL = "Fail"
    CHOICE = "Choice"
    PARALLEL = "Parallel"
    MAP = "Map"


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrier:
    """One element of a state's Retry array (RETRY-1)."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    full_jitter: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Catcher:
    """One element of a state's Catch array (CATCH-1).

    ``result_path`` is None for ``"ResultPath": null`` (keep the raw input unchanged);
    ``output`` is a JSONata catcher's Output (absent: the error output, QL-5); ``assign``
    its Assign, which replaces the state's own when the catcher matches (VAR-6).
    """

    error_equals: tuple[str, ...]
    next: str
    result_path: Path | None
    output: Value | None = None
    assign: Assign | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonataRule:
    """A JSONata choice rule (ASL-CHOICE-11): its own Assign and Output apply when it
    matches, instead of the state's (VAR-6)."""

    condition: Value
    next: str
    assign: Value | None = None
    output: Value | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonataFields:
    """A JSONata state's expression fields (QL-2, QL-3); those it does not have are None.

    Scalar fields (timeouts, Seconds, Timestamp, MaxConcurrency, Error, Cause) hold a
    literal or an expression; ``rules`` are a Choice state's rules.
    """

    output: Value | None = None
    arguments: Value | None = None
    items: Value | None = None
    item_selector: Value | None = None
    timeout_seconds: Value | None = None
    heartbeat_seconds: Value | None = None
    seconds: Value | None = None
    timestamp: Value | None = None
    max_concurrency: Value | None = None
    error: Value | None = None
    cause: Value | None = None
    credentials: Value | None = None
    rules: tuple[JsonataRule, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """Fields every state type shares.

    ``input_path``/``output_path`` are None for an explicit ``null`` (IO-3); the default
    ``$`` compiles to an identity path. ``jsonata`` holds the expression fields of a state
    whose query language is JSONata, and is None for a JSONPath state.
    """

    name: str
    type: StateType
    comment: str | None = None
    query_language: QueryLanguage = QueryLanguage.JSONPATH
    next: str | None = None
    end: bool = False
    input_path: Path | None = None
    output_path: Path | None = None
    assign: Assign | None = None
    jsonata: JsonataFields | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultState(State):
    """Fields of the states that produce a result: Task, Parallel and Map."""

    parameters: Template | None = None
    result_selector: Template | None = None
    result_path: Path | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(State):
    """A Pass state (ASL-PASS)."""

    parameters: Template | None = None
    result: JSON = None
    has_result: bool = False
    result_path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(ResultState):
    """A Task state (ASL-TASK). Timeouts are literals or Reference Paths, never both."""

    resource: str
    timeout_seconds: int | None = None
    timeout_seconds_path: Path | None = None
    heartbeat_seconds: int | None = None
    heartbeat_seconds_path: Path | None = None
    credentials: Template | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(State):
    """A Choice state (ASL-CHOICE): rules in order, then Default.

    ``rule_assign`` holds each JSONPath rule's Assign (None for a rule without one); a
    JSONata state's rules are in ``jsonata.rules`` and ``choices`` is empty.
    """

    choices: tuple[ChoiceRule, ...]
    default: str | None = None
    rule_assign: tuple[Assign | None, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(State):
    """A Wait state (ASL-WAIT): exactly one of the four delay fields is set."""

    seconds: int | None = None
    timestamp: datetime | None = None
    seconds_path: Path | None = None
    timestamp_path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(State):
    """A Succeed state (ASL-SUCCEED)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(State):
    """A Fail state (ASL-FAIL). ErrorPath/CausePath are a path or a string intrinsic."""

    error: str | None = None
    cause: str | None = None
    error_path: Path | Intrinsic | None = None
    cause_path: Path | Intrinsic | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch:
    """A nested scope: a Parallel branch or a Map's item processor."""

    start_at: str
    states: dict[str, AnyState]
    query_language: QueryLanguage = QueryLanguage.JSONPATH


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(ResultState):
    """A Parallel state (ASL-PAR)."""

    branches: tuple[Branch, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(ResultState):
    """An inline Map state (ASL-MAP). ``item_selector`` covers the legacy ``Parameters`` too."""

    processor: Branch
    items_path: Path | None = None
    item_selector: Template | None = None
    max_concurrency: int = 0
    max_concurrency_path: Path | None = None
    distributed: bool = False
    label: str | None = None


AnyState = (
    PassState | TaskState | ChoiceState | WaitState | SucceedState | FailState | ParallelState
) | MapState


@dataclass(frozen=True, slots=True, kw_only=True)
class StateMachine:
    """A parsed definition: the top-level scope plus machine-wide settings."""

    start_at: str
    states: dict[str, AnyState]
    comment: str | None = None
    timeout_seconds: int | None = None
    query_language: QueryLanguage = QueryLanguage.JSONPATH
    definition: JSON = None

    def state(self, name: str) -> AnyState:
        """A state by name, searching nested branches and processors too."""
        found = _find(self.states, name)
        if found is None:
            raise KeyError(name)
        return found


def _find(states: dict[str, AnyState], name: str) -> AnyState | None:
    if name in states:
        return states[name]
    for state in states.values():
        nested: tuple[Branch, ...] = ()
        if isinstance(state, ParallelState):
            nested = state.branches
        elif isinstance(state, MapState):
            nested = (state.processor,)
        for branch in nested:
            found = _find(branch.states, name)
            if found is not None:
                return found
    return None

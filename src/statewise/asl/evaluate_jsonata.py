"""One JSONata state, one decision: the JSONata data flow of every state type (QL-3..QL-8).

The counterpart of ``evaluate`` for states whose query language is JSONata, with the same
three entry points (``evaluate`` dispatches here). Every expression of a state reads
``$states.input`` (the raw input), ``$states.context`` and the variables as they were when
the state was entered; ``$states.result`` exists only in a Task/Parallel/Map's Output and
Assign, ``$states.errorOutput`` only in a catcher's (QL-4). Assignments come back in the
decision and take effect after the state (VAR-4). A failed expression is a catchable
``States.QueryEvaluationError`` (in Pass, Choice, Wait, Succeed and Fail, which have no
Catch, it ends the scope) and its decision carries the ``EvaluationFailed`` event (QL-8).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import orjson

from statewise.asl import retry
from statewise.asl.decisions import (
    Advance,
    Caught,
    Decision,
    EvaluationFailed,
    Fail,
    Invoke,
    RunBranches,
    RunIterations,
    Wait,
)
from statewise.asl.decisions import Retry as RetryDecision
from statewise.asl.errors import Failure, FailureError, StatesError, matches
from statewise.asl.jsonata import JsonataScope
from statewise.asl.jsonata_values import QueryError, Value
from statewise.asl.model import (
    DEFAULT_TASK_TIMEOUT_SECONDS,
    AnyState,
    ChoiceState,
    FailState,
    JsonataFields,
    MapState,
    ParallelState,
    PassState,
    ResultState,
    State,
    SucceedState,
    TaskState,
    WaitState,
)
from statewise.asl.timestamps import parse_timestamp
from statewise.asl.variables import check
from statewise.types import JSON

if TYPE_CHECKING:
    from statewise.asl.evaluate import Env

# As the JSONPath evaluator: a Wait further ahead fails (ASL-WAIT-4, Q-18).
MAX_WAIT_SECONDS = 2**31 - 1
MAX_SECONDS = 99_999_999


def _located(state: State, env: Env, message: str) -> str:
    """AWS's cause prefix for failures raised while executing a state (PATH-7)."""
    return (
        f"An error occurred while executing the state '{state.name}' "
        f"(entered at the event id #{env.entered_event_id}). {message}"
    )


def _scope(raw: JSON, env: Env) -> JsonataScope:
    return JsonataScope(raw, env.context, env.variables, env.now, env.entropy)


def _fields(state: State) -> JsonataFields:
    assert state.jsonata is not None
    return state.jsonata


def _next(state: State) -> str | None:
    return None if state.end else state.next


def _assign(state: State, value: Any, scope: JsonataScope) -> dict[str, JSON] | None:
    if value is None:
        return None
    assert isinstance(value, Value)
    assigned = value.evaluate(scope)
    assert isinstance(assigned, dict)  # the validator requires an object
    check(state.name, assigned)
    return assigned


def _output(value: Value | None, scope: JsonataScope, default: JSON) -> JSON:
    """A state's Output; without one the state passes ``default`` on (QL-5)."""
    return default if value is None else value.evaluate(scope)


def _integer(value: Value, scope: JsonataScope, low: int, high: int) -> int:
    """A scalar field given as an expression that must yield an integer in [low, high]."""
    result = value.evaluate(scope)
    if isinstance(result, bool) or not isinstance(result, int | float) or result != int(result):
        raise value.expect(result, "integer")
    if not low <= result <= high:
        assert value.expression is not None
        raise QueryError(
            f"The JSONata expression '{value.expression.text}' specified for the field "
            f"'{value.location}' returned an out of range value. Expected a value between "
            f"{low} and {high}, but was {orjson.dumps(result).decode()}",
            value.location,
        )
    return int(result)


def _string(value: Value, scope: JsonataScope) -> str:
    result = value.evaluate(scope)
    if not isinstance(result, str):
        raise value.expect(result, "string")
    return result


# --- entry points ----------------------------------------------------------------------


def enter(state: AnyState, raw: JSON, env: Env, counts: tuple[int, ...] = ()) -> Decision:
    """Evaluate a JSONata state on its raw input up to its first decision."""
    try:
        return _enter(state, raw, env)
    except QueryError as exc:
        return _query_failed(state, raw, exc, env, counts)
    except FailureError as exc:
        return _other_failure(state, raw, exc, env, counts)


def complete(
    state: TaskState | ParallelState | MapState,
    raw: JSON,
    result: JSON,
    env: Env,
    counts: tuple[int, ...] = (),
) -> Decision:
    """Output and Assign over ``$states.result`` (QL-4, QL-5: the output defaults to it)."""
    scope = _scope(raw, env).with_result(result)
    try:
        assigned = _assign(state, state.assign, scope)
        output = _output(_fields(state).output, scope, result)
    except QueryError as exc:
        return _query_failed(state, raw, exc, env, counts)
    except FailureError as exc:
        return _other_failure(state, raw, exc, env, counts)
    return Advance(output, _next(state), assigned)


def fail(
    state: AnyState,
    raw: JSON,
    failure: Failure,
    env: Env,
    counts: tuple[int, ...] = (),
    evaluation: EvaluationFailed | None = None,
) -> Decision:
    """Route a failure through Retry, then Catch (CATCH-2).

    A matching catcher's Output (default: the error output, QL-5) and Assign read
    ``$states.errorOutput``; only the catcher's Assign runs, never the state's (VAR-6).
    """
    if not isinstance(state, ResultState):
        return Fail(failure, evaluation)
    planned = retry.plan(state.retry, counts, failure, env.entropy)
    if planned is not None:
        index, seconds, new_counts = planned
        return RetryDecision(failure, seconds, index, new_counts, evaluation)
    for index, catcher in enumerate(state.catch):
        if not matches(catcher.error_equals, failure.error):
            continue
        error_output = failure.error_output()
        scope = _scope(raw, env).with_error(error_output)
        try:
            assigned = _assign(state, catcher.assign, scope)
            output = _output(catcher.output, scope, error_output)
        except QueryError as exc:
            # The catcher itself failed: nothing is left to catch it.
            located = Failure(exc.failure.error, _located(state, env, exc.failure.cause or ""))
            return Fail(located, evaluation or _evaluation(state, located, exc.location))
        except FailureError as exc:
            return Fail(exc.failure, evaluation)
        return Caught(failure, output, catcher.next, index, assigned, evaluation)
    return Fail(failure, evaluation)


def _evaluation(state: State, failure: Failure, location: str) -> EvaluationFailed:
    return EvaluationFailed(
        error=failure.error or StatesError.QUERY_EVALUATION_ERROR,
        cause=failure.cause or "",
        location=location,
        state=state.name,
    )


def _other_failure(
    state: AnyState, raw: JSON, exc: FailureError, env: Env, counts: tuple[int, ...]
) -> Decision:
    """A failure other than an expression's (VAR-8's size limits): located as the JSONPath
    evaluator locates them, and routed through Retry and Catch as it does."""
    failure = exc.failure
    if failure.cause is not None and not failure.cause.startswith("An error occurred"):
        failure = Failure(failure.error, _located(state, env, failure.cause))
    if failure.error == StatesError.RUNTIME:
        return Fail(failure)
    return fail(state, raw, failure, env, counts)


def _query_failed(
    state: AnyState, raw: JSON, exc: QueryError, env: Env, counts: tuple[int, ...]
) -> Decision:
    failure = Failure(exc.failure.error, _located(state, env, exc.failure.cause or ""))
    return fail(state, raw, failure, env, counts, _evaluation(state, failure, exc.location))


def _enter(state: AnyState, raw: JSON, env: Env) -> Decision:
    scope = _scope(raw, env)
    fields = _fields(state)
    match state:
        case PassState() | SucceedState():
            assigned = _assign(state, state.assign, scope)
            output = _output(fields.output, scope, raw)
            return Advance(output, _next(state), assigned)
        case TaskState():
            return _task(state, fields, scope, raw)
        case ChoiceState():
            return _choice(state, fields, scope, raw, env)
        case WaitState():
            return _wait(state, fields, scope, raw)
        case FailState():
            error = state.error if fields.error is None else _string(fields.error, scope)
            cause = state.cause if fields.cause is None else _string(fields.cause, scope)
            return Fail(Failure(error, cause))
        case ParallelState():
            return RunBranches(_output(fields.arguments, scope, raw))
        case MapState():
            return _map(state, fields, scope, raw, env)
    raise AssertionError(f"unknown state type {state!r}")  # pragma: no cover


def _task(state: TaskState, fields: JsonataFields, scope: JsonataScope, raw: JSON) -> Decision:
    # Without Arguments the task receives the state input unchanged (QL-5).
    payload = _output(fields.arguments, scope, raw)
    timeout = state.timeout_seconds
    if fields.timeout_seconds is not None:
        timeout = _integer(fields.timeout_seconds, scope, 1, MAX_SECONDS)
    heartbeat = state.heartbeat_seconds
    if fields.heartbeat_seconds is not None:
        heartbeat = _integer(fields.heartbeat_seconds, scope, 1, MAX_SECONDS)
    credentials = None if fields.credentials is None else fields.credentials.evaluate(scope)
    return Invoke(
        resource=state.resource,
        payload=payload,
        timeout_seconds=timeout if timeout is not None else DEFAULT_TASK_TIMEOUT_SECONDS,
        timeout_set=timeout is not None,
        heartbeat_seconds=heartbeat,
        credentials=credentials,
    )


def _choice(
    state: ChoiceState, fields: JsonataFields, scope: JsonataScope, raw: JSON, env: Env
) -> Decision:
    """The first rule whose Condition is true wins, with that rule's own Assign and Output;
    the state's Assign and Output apply only with Default (VAR-6, ASL-CHOICE-11)."""
    for rule in fields.rules:
        matched = rule.condition.evaluate(scope)
        if type(matched) is not bool:
            raise rule.condition.expect(matched, "boolean")
        if matched:
            assigned = _assign(state, rule.assign, scope)
            return Advance(_output(rule.output, scope, raw), rule.next, assigned)
    if state.default is None:
        return Fail(
            Failure(
                StatesError.NO_CHOICE_MATCHED,
                _located(state, env, "No Choice Rules matched and no Default was specified."),
            )
        )
    assigned = _assign(state, state.assign, scope)
    return Advance(_output(fields.output, scope, raw), state.default, assigned)


def _wait(state: WaitState, fields: JsonataFields, scope: JsonataScope, raw: JSON) -> Decision:
    assigned = _assign(state, state.assign, scope)
    output = _output(fields.output, scope, raw)
    nxt = _next(state)
    if fields.seconds is not None:
        seconds = _integer(fields.seconds, scope, 0, MAX_WAIT_SECONDS)
        return Wait(output, nxt, seconds=seconds, assigned=assigned)
    if state.seconds is not None:
        return Wait(output, nxt, seconds=state.seconds, assigned=assigned)
    if fields.timestamp is None:
        assert state.timestamp is not None
        return Wait(output, nxt, timestamp=state.timestamp, assigned=assigned)
    value = fields.timestamp.evaluate(scope)
    moment = parse_timestamp(value) if isinstance(value, str) else None
    if moment is None:
        # ASL-WAIT-3: a JSONata Timestamp that is not an ISO-8601 offset date-time.
        raise QueryError(
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
            f"format string: {orjson.dumps(value).decode()}",
            fields.timestamp.location,
        )
    return Wait(output, nxt, timestamp=moment, assigned=assigned)


def _map(
    state: MapState, fields: JsonataFields, scope: JsonataScope, raw: JSON, env: Env
) -> Decision:
    if fields.items is not None:
        items = fields.items.evaluate(scope)
        if not isinstance(items, list):
            if fields.items.expression is None:  # pragma: no cover - the validator's job
                raise QueryError("Items must be an array", "Items")
            raise fields.items.expect(items, "array")
    elif isinstance(raw, list):
        items = raw
    else:
        # ASL-MAP-2: a JSONata Map without Items iterates its input, which must be an array.
        raise QueryError(
            f"Map state input must be an array but was: {orjson.dumps(raw).decode()}", "Items"
        )
    concurrency = state.max_concurrency
    if fields.max_concurrency is not None:
        concurrency = _integer(fields.max_concurrency, scope, 0, 2**31 - 1)
    selector = fields.item_selector
    if selector is None:
        return RunIterations(tuple(items), concurrency)
    base = env.context if isinstance(env.context, dict) else {}
    inputs = []
    for index, item in enumerate(items):
        # $states.context.Map.Item exists only while ItemSelector runs (ASL-MAP-3, CTX-6).
        context = {**base, "Map": {"Item": {"Index": index, "Value": item}}}
        inputs.append(selector.evaluate(dataclasses.replace(scope, context=context)))
    return RunIterations(tuple(inputs), concurrency)

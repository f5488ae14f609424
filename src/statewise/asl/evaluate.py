"""One state, one decision: the JSONPath data flow of every state type (IO-1).

``enter`` runs a state up to the point where it needs the outside world (a task result,
branch or iteration results, the end of a wait) or is done; ``complete`` applies a task's,
branches' or iterations' result; ``fail`` routes a failure through Retry and Catch. Nothing
here awaits, persists or reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from statewise.asl import evaluate_jsonata, retry, variables
from statewise.asl.decisions import (
    Advance,
    Caught,
    Decision,
    Fail,
    Invoke,
    RunBranches,
    RunIterations,
    Wait,
)
from statewise.asl.decisions import Retry as RetryDecision
from statewise.asl.entropy import Entropy, SystemEntropy
from statewise.asl.errors import Failure, FailureError, StatesError, matches
from statewise.asl.intrinsics import Intrinsic
from statewise.asl.model import (
    DEFAULT_TASK_TIMEOUT_SECONDS,
    AnyState,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    ResultState,
    State,
    SucceedState,
    TaskState,
    WaitState,
)
from statewise.asl.paths import Path, PathNotFound, ResultPathError, Root, Scope, write
from statewise.asl.timestamps import parse_timestamp
from statewise.types import JSON

# A Wait further ahead than this fails the execution (ASL-WAIT-4, Q-18).
MAX_WAIT_SECONDS = 2**31 - 1


@dataclass(slots=True)
class Env:
    """What a state evaluates against besides its input.

    Attributes:
        context: the context object (``$$``) for this state.
        variables: the workflow variables visible to the state.
        entropy: randomness for States.UUID, MathRandom and retry jitter.
        entered_event_id: the id of the state's ``...StateEntered`` event, for causes.
        now: the engine's clock (epoch seconds), for JSONata's ``$now()``/``$millis()``.
    """

    context: JSON = None
    variables: Mapping[str, JSON] = field(default_factory=dict)
    entropy: Entropy = field(default_factory=SystemEntropy)
    entered_event_id: int = 0
    now: float = 0.0


def _json(value: JSON) -> str:
    return orjson.dumps(value).decode()


def _runtime(state: State, env: Env, message: str) -> FailureError:
    return FailureError(StatesError.RUNTIME, _located(state, env, message))


def _located(state: State, env: Env, message: str) -> str:
    """AWS's cause prefix for failures raised while executing a state (PATH-7)."""
    return (
        f"An error occurred while executing the state '{state.name}' "
        f"(entered at the event id #{env.entered_event_id}). {message}"
    )


def _select(state: State, env: Env, path: Path | None, value: JSON, field: str) -> JSON:
    """Apply InputPath or OutputPath (``None`` is an explicit null: ``{}``, IO-3)."""
    if path is None:
        return {}
    # Identity test, not ``root.value``: an Enum's value is a property, and this runs twice
    # per state.
    if path.steps == () and path.root is Root.INPUT:
        return value
    try:
        return path.read(Scope(value, env.context, env.variables))
    except PathNotFound as exc:
        raise _runtime(
            state, env, f"Invalid path '{path.text}' : No results for path: {exc.missing}"
        ) from None


def _place(state: State, env: Env, path: Path | None, raw: JSON, result: JSON) -> JSON:
    """Apply ResultPath: merge the result into the raw input (IO-4)."""
    if path is None:
        return raw
    steps = path.steps
    if not steps:
        return result
    try:
        return write(raw, steps, result)
    except ResultPathError:
        raise FailureError(
            StatesError.RESULT_PATH_MATCH_FAILURE,
            _located(
                state,
                env,
                f"Unable to apply ResultPath '{path.text}' to input '{_json(raw)}'",
            ),
        ) from None


def _assigned(state: State, assign: Any, value: JSON, env: Env) -> dict[str, JSON] | None:
    """A JSONPath Assign: its ``.$`` keys read ``value`` as ``$`` (VAR-3)."""
    if assign is None:
        return None
    return variables.assign_jsonpath(
        assign, state.name, value, env.context, env.variables, env.entropy
    )


def _guard(state: State, env: Env, exc: FailureError) -> Fail | FailureError:
    """Locate a failure raised during evaluation; uncatchable ones end the scope."""
    failure = exc.failure
    if failure.cause is not None and not failure.cause.startswith("An error occurred"):
        failure = Failure(failure.error, _located(state, env, failure.cause))
    if failure.error == StatesError.RUNTIME:
        return Fail(failure)
    located = FailureError(failure.error, failure.cause)
    return located


def enter(state: AnyState, raw: JSON, env: Env, counts: tuple[int, ...] = ()) -> Decision:
    """Evaluate a state on its raw input up to its first decision.

    ``counts`` are the retriers' attempt counts so far in this visit (for a failure
    raised before a task is even invoked, e.g. by an intrinsic in Parameters).
    """
    if state.jsonata is not None:  # --- JSONata dispatch (QL-3): its own module ---
        return evaluate_jsonata.enter(state, raw, env, counts)
    try:
        return _enter(state, raw, env)
    except FailureError as exc:
        guarded = _guard(state, env, exc)
        if isinstance(guarded, Fail):
            return guarded
        return fail(state, raw, guarded.failure, env, counts)


def _enter(state: AnyState, raw: JSON, env: Env) -> Decision:
    match state:
        case PassState():
            return _pass(state, raw, env)
        case TaskState():
            return _task(state, raw, env)
        case ChoiceState():
            return _choice(state, raw, env)
        case WaitState():
            return _wait(state, raw, env)
        case SucceedState():
            effective = _select(state, env, state.input_path, raw, "InputPath")
            return Advance(_select(state, env, state.output_path, effective, "OutputPath"), None)
        case FailState():
            return Fail(_fail_failure(state, raw, env))
        case ParallelState():
            return RunBranches(_parameters(state, raw, env))
        case MapState():
            return _map(state, raw, env)
    raise AssertionError(f"unknown state type {state!r}")  # pragma: no cover


def _next(state: AnyState) -> str | None:
    return None if state.end else state.next


def _pass(state: PassState, raw: JSON, env: Env) -> Decision:
    effective = _select(state, env, state.input_path, raw, "InputPath")
    if state.has_result:
        result = state.result
    elif state.parameters is not None:
        result = state.parameters.expand(Scope(effective, env.context, env.variables), env.entropy)
    else:
        result = effective
    output = _place(state, env, state.result_path, raw, result)
    assigned = _assigned(state, state.assign, result, env)
    output = _select(state, env, state.output_path, output, "OutputPath")
    return Advance(output, _next(state), assigned)


def _parameters(state: ResultState, raw: JSON, env: Env) -> JSON:
    """The effective input after InputPath and Parameters (the task payload, branch input)."""
    effective = _select(state, env, state.input_path, raw, "InputPath")
    if state.parameters is None:
        return effective
    return state.parameters.expand(Scope(effective, env.context, env.variables), env.entropy)


def _positive_int(state: State, env: Env, path: Path, effective: JSON, field: str) -> int:
    try:
        value = path.read(Scope(effective, env.context, env.variables))
    except PathNotFound:
        raise _runtime(
            state, env, f"The {field} parameter does not reference an input value: {path.text}"
        ) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise _runtime(
            state,
            env,
            f"The {field} parameter cannot be parsed as a long value: "
            f"{path.text} == {_json(value)}",
        )
    if value <= 0:
        raise _runtime(
            state,
            env,
            f"The {field} parameter references a non-positive value: {path.text} == {_json(value)}",
        )
    return int(value)


def _task(state: TaskState, raw: JSON, env: Env) -> Decision:
    effective = _select(state, env, state.input_path, raw, "InputPath")
    payload = effective
    if state.parameters is not None:
        payload = state.parameters.expand(Scope(effective, env.context, env.variables), env.entropy)
    timeout = state.timeout_seconds
    if state.timeout_seconds_path is not None:
        timeout = _positive_int(
            state, env, state.timeout_seconds_path, effective, "TimeoutSecondsPath"
        )
    heartbeat = state.heartbeat_seconds
    if state.heartbeat_seconds_path is not None:
        heartbeat = _positive_int(
            state, env, state.heartbeat_seconds_path, effective, "HeartbeatSecondsPath"
        )
    credentials = None
    if state.credentials is not None:
        credentials = state.credentials.expand(
            Scope(effective, env.context, env.variables), env.entropy
        )
    return Invoke(
        resource=state.resource,
        payload=payload,
        timeout_seconds=timeout if timeout is not None else DEFAULT_TASK_TIMEOUT_SECONDS,
        timeout_set=timeout is not None,
        heartbeat_seconds=heartbeat,
        credentials=credentials,
    )


def _choice(state: ChoiceState, raw: JSON, env: Env) -> Decision:
    effective = _select(state, env, state.input_path, raw, "InputPath")
    scope = Scope(effective, env.context, env.variables)
    target: str | None = None
    assign = state.assign  # with Default; a matched rule's own Assign instead (VAR-6)
    for index, rule in enumerate(state.choices):
        try:
            matched = rule.evaluate(scope)
        except PathNotFound as exc:
            raise _runtime(
                state,
                env,
                f"Invalid path '{exc.path}': The choice state's condition path "
                f"references an invalid value.",
            ) from None
        if matched:
            target = rule.next
            assign = state.rule_assign[index] if state.rule_assign else None
            break
    else:
        target = state.default
    if target is None:
        return Fail(
            Failure(
                StatesError.NO_CHOICE_MATCHED,
                _located(state, env, "No Choice Rules matched and no Default was specified."),
            )
        )
    assigned = _assigned(state, assign, effective, env)
    return Advance(
        _select(state, env, state.output_path, effective, "OutputPath"), target, assigned
    )


def _wait(state: WaitState, raw: JSON, env: Env) -> Decision:
    effective = _select(state, env, state.input_path, raw, "InputPath")
    output = _select(state, env, state.output_path, effective, "OutputPath")
    scope = Scope(effective, env.context, env.variables)
    assigned = _assigned(state, state.assign, effective, env)
    if state.seconds is not None:
        return Wait(output, _next(state), seconds=state.seconds, assigned=assigned)
    if state.timestamp is not None:
        return Wait(output, _next(state), timestamp=state.timestamp, assigned=assigned)
    if state.seconds_path is not None:
        path = state.seconds_path
        try:
            value = path.read(scope)
        except PathNotFound:
            raise _runtime(
                state,
                env,
                f"The SecondsPath parameter does not reference an input value: {path.text}",
            ) from None
        shown = f"{path.text} == {_json(value)}"
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise _runtime(
                state, env, f"The SecondsPath parameter cannot be parsed as a long value: {shown}"
            )
        if value < 0:
            raise _runtime(
                state, env, f"The SecondsPath parameter references a negative value: {shown}"
            )
        if value > MAX_WAIT_SECONDS:
            raise _runtime(state, env, "Wait state delay is too long.")
        return Wait(output, _next(state), seconds=int(value), assigned=assigned)
    stamp_path = state.timestamp_path
    assert stamp_path is not None
    try:
        value = stamp_path.read(scope)
    except PathNotFound:
        raise _runtime(
            state,
            env,
            f"The TimestampPath parameter does not reference an input value: {stamp_path.text}",
        ) from None
    moment = parse_timestamp(value)
    if moment is None:
        raise _runtime(
            state,
            env,
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
            f"date-time format string: {stamp_path.text} == {_json(value)}",
        )
    return Wait(output, _next(state), timestamp=moment, assigned=assigned)


def _string_field(
    state: FailState, env: Env, source: Path | Intrinsic, raw: JSON, field: str
) -> str:
    scope = Scope(raw, env.context, env.variables)
    try:
        value = (
            source.evaluate(scope, env.entropy)
            if isinstance(source, Intrinsic)
            else (source.read(scope))
        )
    except PathNotFound as exc:
        raise _runtime(
            state,
            env,
            f"The JSONPath '{exc.path}' specified for the field '{field}' could not be found "
            f"in the input '{_json(raw)}'",
        ) from None
    if not isinstance(value, str):
        raise _runtime(
            state,
            env,
            f"The {field} '{source.text}' must resolve to a string, but was {_json(value)}",
        )
    return value


def _fail_failure(state: FailState, raw: JSON, env: Env) -> Failure:
    error = state.error
    if state.error_path is not None:
        error = _string_field(state, env, state.error_path, raw, "ErrorPath")
    cause = state.cause
    if state.cause_path is not None:
        cause = _string_field(state, env, state.cause_path, raw, "CausePath")
    return Failure(error, cause)


def _map(state: MapState, raw: JSON, env: Env) -> Decision:
    effective = _select(state, env, state.input_path, raw, "InputPath")
    items: Any = effective
    if state.items_path is not None:
        try:
            items = state.items_path.read(Scope(effective, env.context, env.variables))
        except PathNotFound:
            raise _runtime(
                state,
                env,
                f"Invalid path '{state.items_path.text}' : No results for path: "
                f"{state.items_path.text}",
            ) from None
    if not isinstance(items, list):
        shown = state.items_path.text if state.items_path is not None else "$"
        raise _runtime(state, env, f'Reference path "{shown}" must point to array.')
    concurrency = state.max_concurrency
    if state.max_concurrency_path is not None:
        concurrency = _max_concurrency(state, env, state.max_concurrency_path, effective)
    selector = state.item_selector
    if selector is None:
        return RunIterations(tuple(items), concurrency)
    base = env.context if isinstance(env.context, dict) else {}
    inputs = []
    for index, item in enumerate(items):
        context = dict(base)
        context["Map"] = {"Item": {"Index": index, "Value": item}}
        inputs.append(selector.expand(Scope(effective, context, env.variables), env.entropy))
    return RunIterations(tuple(inputs), concurrency)


def _max_concurrency(state: MapState, env: Env, path: Path, effective: JSON) -> int:
    try:
        value = path.read(Scope(effective, env.context, env.variables))
    except PathNotFound:
        raise _runtime(
            state,
            env,
            f"The MaxConcurrencyPath field does not reference an input value: {path.text}",
        ) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _runtime(
            state,
            env,
            f'The MaxConcurrencyPath field refers to value "{value}" which is not a valid '
            f"integer: {path.text}",
        )
    return value


def complete(
    state: TaskState | ParallelState | MapState,
    raw: JSON,
    result: JSON,
    env: Env,
    counts: tuple[int, ...] = (),
) -> Decision:
    """Apply ResultSelector, ResultPath and OutputPath to a successful result (IO-1)."""
    if state.jsonata is not None:  # --- JSONata dispatch (QL-3) ---
        return evaluate_jsonata.complete(state, raw, result, env, counts)
    try:
        if state.result_selector is not None:
            result = state.result_selector.expand(
                Scope(result, env.context, env.variables), env.entropy
            )
        output = _place(state, env, state.result_path, raw, result)
        # VAR-3: ``$`` is the result after ResultSelector (AWS leaves the order unsaid).
        assigned = _assigned(state, state.assign, result, env)
        output = _select(state, env, state.output_path, output, "OutputPath")
        return Advance(output, _next(state), assigned)
    except FailureError as exc:
        guarded = _guard(state, env, exc)
        if isinstance(guarded, Fail):
            return guarded
        return fail(state, raw, guarded.failure, env, counts)


def fail(
    state: AnyState,
    raw: JSON,
    failure: Failure,
    env: Env,
    counts: tuple[int, ...] = (),
) -> Decision:
    """Route a failure of ``state``: a retry, a catcher, or the failure of its scope.

    Retriers are consulted first; Catch only when no retrier applies or the matching
    retrier is exhausted (CATCH-2). Pass, Choice, Wait, Succeed and Fail have neither.
    """
    if state.jsonata is not None:  # --- JSONata dispatch (QL-3) ---
        return evaluate_jsonata.fail(state, raw, failure, env, counts)
    if not isinstance(state, ResultState):
        return Fail(failure)
    planned = retry.plan(state.retry, counts, failure, env.entropy)
    if planned is not None:
        index, seconds, new_counts = planned
        return RetryDecision(failure, seconds, index, new_counts)
    for index, catcher in enumerate(state.catch):
        if not matches(catcher.error_equals, failure.error):
            continue
        error_output = failure.error_output()
        if catcher.result_path is None:
            output = raw
        elif not catcher.result_path.steps:
            output = error_output
        else:
            try:
                output = write(raw, catcher.result_path.steps, error_output)
            except ResultPathError:
                return Fail(
                    Failure(
                        StatesError.RESULT_PATH_MATCH_FAILURE,
                        _located(
                            state,
                            env,
                            f"Unable to apply ResultPath '{catcher.result_path.text}' to "
                            f"input '{_json(raw)}'",
                        ),
                    )
                )
        try:
            # Only the catcher's Assign runs, over the error output (VAR-3, VAR-6).
            assigned = _assigned(state, catcher.assign, error_output, env)
        except FailureError as exc:
            return Fail(exc.failure)
        return Caught(failure, output, catcher.next, index, assigned)
    return Fail(failure)

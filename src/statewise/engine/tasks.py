"""Task states: scheduling an attempt, its outcome, callbacks, heartbeats and timeouts.

Like ``steps``, every function here only changes the in-memory :class:`Run` and its tick.
An attempt is scheduled with a leased ``task`` work item that is dispatched to the task
runner after the commit. A call that hands out a task token (``.waitForTaskToken``) or an
activity task waits for its outcome by callback: the ``task`` item goes once the call went
out (``TaskSubmitted``) or a worker took the activity task (``ActivityStarted``), and the
frame waits durably in TASK with only its timeout and heartbeat items, for as long as
needed and across restarts.
"""

from __future__ import annotations

from typing import Any

import orjson

from statewise.asl import evaluate
from statewise.asl.decisions import Invoke
from statewise.asl.entropy import Entropy
from statewise.asl.errors import Failure, StatesError
from statewise.asl.limits import MAX_PAYLOAD_BYTES
from statewise.asl.model import TaskState
from statewise.engine import history, steps
from statewise.engine.frames import Frame, FrameStatus
from statewise.engine.ports import (
    TaskFailed,
    TaskOutcome,
    TaskRequest,
    TaskSubmitted,
    TaskSucceeded,
)
from statewise.engine.resources import Pattern, Resource, ResourceKind, parse_resource
from statewise.engine.run import Run
from statewise.engine.tick import Dispatch
from statewise.store.base import WorkRecord
from statewise.types import json_text

_KINDS = ("task", "timeout", "heartbeat")
# The event names' prefix by resource kind; everything else is Task* (HIST-4).
_PREFIX = {ResourceKind.LAMBDA: "LambdaFunction", ResourceKind.ACTIVITY: "Activity"}


def _base(resource: Resource) -> dict[str, Any]:
    """The ``resourceType``/``resource`` members of Task* events (not Activity*/Lambda*)."""
    if resource.kind in _PREFIX:
        return {}
    return {"resourceType": resource.resource_type, "resource": resource.resource}


def current(run: Run, frame: Frame, attempt: int) -> TaskState | None:
    """The frame's Task state while ``attempt`` is its running attempt, else None."""
    if frame.status is not FrameStatus.TASK or frame.attempt != attempt:
        return None
    state = run.compiled.states[frame.state]
    return state if isinstance(state, TaskState) else None


def schedule(run: Run, frame: Frame, state: TaskState, invoke: Invoke) -> None:
    """Start an attempt: its Scheduled/Started events, work items and dispatch."""
    resource = parse_resource(state.resource)
    frame.attempt += 1
    frame.picked_up = False
    frame.status = FrameStatus.TASK
    run.touch(frame)
    activity = resource.kind is ResourceKind.ACTIVITY
    if resource.kind is ResourceKind.LAMBDA:
        details: dict[str, Any] = {"resource": state.resource, "input": json_text(invoke.payload)}
        if invoke.timeout_set:
            details["timeoutInSeconds"] = invoke.timeout_seconds
        run.emit(frame, "LambdaFunctionScheduled", details)
        run.emit(frame, "LambdaFunctionStarted")
    elif activity:
        details = {
            "resource": state.resource,
            "input": json_text(invoke.payload),
            "inputDetails": {"truncated": False},
        }
        if invoke.timeout_set:
            details["timeoutInSeconds"] = invoke.timeout_seconds
        if invoke.heartbeat_seconds is not None:
            details["heartbeatInSeconds"] = invoke.heartbeat_seconds
        run.emit(frame, "ActivityScheduled", details)
    else:
        details = {
            "resourceType": resource.resource_type,
            "resource": resource.resource,
            "region": run.record.arn.split(":")[3],
            "parameters": json_text(invoke.payload),
        }
        if invoke.timeout_set:
            details["timeoutInSeconds"] = invoke.timeout_seconds
        if invoke.heartbeat_seconds is not None:
            details["heartbeatInSeconds"] = invoke.heartbeat_seconds
        run.emit(frame, "TaskScheduled", details)
        run.emit(frame, "TaskStarted", _base(resource))
    now = run.tick.now
    stored: dict[str, Any] = {
        "payload": invoke.payload,
        "timeout": invoke.timeout_seconds,
        "credentials": invoke.credentials,
    }
    if invoke.heartbeat_seconds is not None:
        stored["heartbeat"] = invoke.heartbeat_seconds
    work = run.schedule(frame, "task", now, stored, leased=True)
    if invoke.timeout_set:
        run.schedule(frame, "timeout", now + invoke.timeout_seconds)
    # INT-9: an activity's heartbeat clock starts when a worker takes the task.
    if invoke.heartbeat_seconds is not None and not activity:
        _heartbeat(run, frame, invoke.heartbeat_seconds)
    run.tick.dispatches.append(
        Dispatch(work, frame.id, frame.attempt, _request(run, frame, state, work.payload))
    )


def _heartbeat(run: Run, frame: Frame, seconds: int) -> None:
    """(Re)set the attempt's HeartbeatSeconds deadline; the item keeps the interval."""
    run.schedule(frame, "heartbeat", run.tick.now + seconds, {"seconds": seconds})


def token(run: Run, frame: Frame, attempt: int) -> str | None:
    """The task token of one attempt of a frame (None when the tick signs none)."""
    tokens = run.tick.tokens
    if tokens is None:
        return None
    return tokens.issue(run.arn, frame.id, attempt, run.record.start_date)


def _request(run: Run, frame: Frame, state: TaskState, payload_text: str) -> TaskRequest:
    stored = orjson.loads(payload_text)
    resource = parse_resource(state.resource)
    waits = resource.pattern is Pattern.CALLBACK or resource.kind is ResourceKind.ACTIVITY
    return TaskRequest(
        execution_arn=run.arn,
        state_name=state.name,
        resource=state.resource,
        payload=stored["payload"],
        timeout_seconds=stored["timeout"],
        token=token(run, frame, frame.attempt) if waits else None,
        context=run.context(frame, state, task=True),
        credentials=stored.get("credentials"),
        frame_id=frame.id,
        attempt=frame.attempt,
        heartbeat_seconds=stored.get("heartbeat"),
        submitted=bool(stored.get("submitted")),
    )


def redispatch(run: Run, frame: Frame, work: WorkRecord) -> Dispatch | None:
    """The dispatch for a claimed task item whose earlier run was lost."""
    state = run.compiled.states[frame.state]
    if frame.status is not FrameStatus.TASK or not isinstance(state, TaskState):
        return None
    return Dispatch(work, frame.id, frame.attempt, _request(run, frame, state, work.payload))


def submitted(run: Run, frame: Frame, attempt: int, output: Any) -> bool:
    """``TaskSubmitted``: the attempt's call went out with ``output`` (INT-2, INT-3)."""
    state = current(run, frame, attempt)
    if state is None:
        return False
    resource = parse_resource(state.resource)
    run.emit(frame, "TaskSubmitted", history.output_details(json_text(output), **_base(resource)))
    return True


def outcome(
    run: Run,
    frame: Frame,
    attempt: int,
    result: TaskOutcome,
    entropy: Entropy,
    *,
    callback: bool = False,
) -> bool:
    """Apply an attempt's outcome from its runner or, with ``callback``, from
    SendTaskSuccess/SendTaskFailure; False when the attempt is over (stale)."""
    state = current(run, frame, attempt)
    if state is None:
        return False
    resource = parse_resource(state.resource)
    if not callback and (
        isinstance(result, TaskSubmitted)
        or (resource.pattern is Pattern.CALLBACK and isinstance(result, TaskSucceeded))
    ):
        # INT-3: the call handed the token out; the outcome comes by callback.
        return submitted(run, frame, attempt, result.output)
    assert not isinstance(result, TaskSubmitted)
    for kind in _KINDS:
        run.unschedule(frame, kind)
    prefix = _PREFIX.get(resource.kind, "Task")
    base = _base(resource)
    env = steps._env(run, frame, state, entropy)
    counts = tuple(frame.counts)
    if isinstance(result, TaskFailed):
        failure = Failure(result.error, result.cause)
        event = f"{prefix}Failed"
        if resource.kind is ResourceKind.ACTIVITY and not callback:
            # INT-9: an activity's runner fails only when the task cannot be scheduled.
            event = "ActivityScheduleFailed"
        run.emit(frame, event, {**base, **history.error_details(failure.error, failure.cause)})
        decision = evaluate.fail(state, frame.input, failure, env, counts)
    else:
        output_text = json_text(result.output)
        if len(output_text.encode()) > MAX_PAYLOAD_BYTES:
            # ERR-6: an oversized task result is a catchable task failure on AWS.
            failure = Failure(
                StatesError.DATA_LIMIT_EXCEEDED,
                f"The state/task '{state.name}' returned a result with a size exceeding the "
                "maximum number of bytes service limit.",
            )
            run.emit(
                frame,
                f"{prefix}Failed",
                {**base, **history.error_details(failure.error, failure.cause)},
            )
            decision = evaluate.fail(state, frame.input, failure, env, counts)
        else:
            run.emit(frame, f"{prefix}Succeeded", history.output_details(output_text, **base))
            decision = evaluate.complete(state, frame.input, result.output, env, counts)
    steps._continue(run, frame, state, decision, entropy)
    return True


def activity_started(
    run: Run, frame: Frame, attempt: int, worker_name: str | None, heartbeat: int | None
) -> bool:
    """A worker took the activity task (INT-9): ``ActivityStarted``, its dispatch ends and
    the heartbeat clock starts. False when the attempt is over."""
    if current(run, frame, attempt) is None or frame.picked_up:
        return False
    frame.picked_up = True
    run.touch(frame)
    run.emit(frame, "ActivityStarted", {"workerName": worker_name} if worker_name else {})
    run.unschedule(frame, "task")
    if heartbeat is not None:
        _heartbeat(run, frame, heartbeat)
    return True


def heartbeat(run: Run, frame: Frame, attempt: int, seconds: int | None) -> bool:
    """SendTaskHeartbeat (API-33): push the heartbeat deadline back; no history event."""
    if current(run, frame, attempt) is None:
        return False
    if seconds is not None:
        _heartbeat(run, frame, seconds)
    return True


def timed_out(run: Run, frame: Frame, attempt: int, heartbeat: bool, entropy: Entropy) -> None:
    """A task's TimeoutSeconds or HeartbeatSeconds passed (ASL-TASK-2, ASL-TASK-3)."""
    state = current(run, frame, attempt)
    if state is None:
        return
    for kind in _KINDS:
        run.unschedule(frame, kind)
    resource = parse_resource(state.resource)
    # History names a heartbeat timeout States.Timeout too; Retry/Catch may still match it as
    # States.HeartbeatTimeout (ASL-TASK-3).
    run.emit(
        frame,
        f"{_PREFIX.get(resource.kind, 'Task')}TimedOut",
        {**_base(resource), "error": StatesError.TIMEOUT.value},
    )
    failure = Failure(StatesError.HEARTBEAT_TIMEOUT if heartbeat else StatesError.TIMEOUT)
    env = steps._env(run, frame, state, entropy)
    decision = evaluate.fail(state, frame.input, failure, env, tuple(frame.counts))
    steps._continue(run, frame, state, decision, entropy)

"""State transitions: apply the ASL core's decisions to a run, with AWS's history events.

Every function here only changes the in-memory :class:`Run` and its tick; the scheduler
commits the tick as one transaction.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from statewise.asl import evaluate, variables
from statewise.asl.decisions import (
    Advance,
    Assigned,
    Caught,
    Decision,
    EvaluationFailed,
    Fail,
    Invoke,
    Retry,
    RunBranches,
    RunIterations,
    Wait,
)
from statewise.asl.entropy import Entropy
from statewise.asl.errors import Failure, FailureError
from statewise.asl.limits import MAX_PAYLOAD_BYTES, encode_output
from statewise.asl.model import (
    AnyState,
    MapState,
    ParallelState,
    StateType,
    TaskState,
)
from statewise.engine import deleting, history, tasks
from statewise.engine.frames import Frame, FrameStatus
from statewise.engine.run import Closed, Run
from statewise.store.base import ExecutionStatus
from statewise.types import JSON, json_text

# Transitions one execution may make in one tick before yielding to the others.
TRANSITION_BUDGET = 200


def _state(run: Run, frame: Frame) -> AnyState:
    return run.compiled.states[frame.state]


def _env(run: Run, frame: Frame, state: AnyState, entropy: Entropy) -> evaluate.Env:
    context = (
        run.context(frame, state, task=isinstance(state, TaskState))
        if state.name in run.compiled.needs_context
        else None
    )
    variables = run.variables(frame)
    return evaluate.Env(context, variables, entropy, frame.entered_event, run.tick.now)


def step_runnable(run: Run, entropy: Entropy) -> int:
    """Evaluate the run's ready frames until none is left or the budget is spent.

    Returns the transitions made. Frames left ready keep their step work item, so the
    next tick (here or on another node) picks them up.
    """
    transitions = 0
    while run.runnable and transitions < TRANSITION_BUDGET and not run.closed:
        frame_id = run.runnable.pop(0)
        frame = run.frames.get(frame_id)
        if frame is None or frame.status is not FrameStatus.READY:
            continue
        run.unschedule(frame, "step")
        try:
            transitions += _drive(run, frame, entropy, TRANSITION_BUDGET - transitions)
        except Closed:
            break
    return transitions


def _drive(run: Run, frame: Frame, entropy: Entropy, budget: int) -> int:
    """Evaluate a ready frame's state, following Advance decisions within ``budget``."""
    states = run.compiled.states
    readers = run.compiled.needs_context
    made = 0
    while True:
        state = states[frame.state]
        # _env, inlined: this loop is the engine's innermost one.
        context = (
            run.context(frame, state, task=isinstance(state, TaskState))
            if state.name in readers
            else None
        )
        variables = frame.variables if frame.parent_id is None else run.variables(frame)
        env = evaluate.Env(context, variables, entropy, frame.entered_event, run.tick.now)
        counts = tuple(frame.counts) if frame.counts else ()
        decision = evaluate.enter(state, frame.input, env, counts)
        made += 1
        following = apply(run, frame, state, decision, entropy)
        if following is None:
            return made
        if made >= budget:
            run.make_ready(frame)
            return made


def enter(
    run: Run,
    frame: Frame,
    name: str,
    value: JSON,
    previous: int | None = None,
    *,
    text: str | None = None,
    quoted: str | None = None,
) -> None:
    """Enter state ``name`` with ``value``: the ``...StateEntered`` event, counts reset.

    ``text`` and ``quoted`` are ``value``'s JSON and that JSON as a string literal, when
    the caller has them (the previous state's Exited event did the same work).
    """
    if text is None:
        text = json_text(value)
        quoted = history.quoted(text)
    elif quoted is None:
        quoted = history.quoted(text)
    frame.state = name
    frame.input = value
    frame.input_text = text
    if frame.counts:
        frame.counts = []
    frame.retry_count = 0
    frame.entered_time = run.tick.now
    events = run.compiled.events[name]
    frame.entered_event = run.emit(
        frame, events.entered, events.entered_details(quoted), previous=previous
    )
    frame.status = FrameStatus.READY


def _exit(
    run: Run, frame: Frame, state: AnyState, output: JSON, assigned: Assigned = None
) -> tuple[str, str]:
    """The ``...StateExited`` event; returns the output's JSON text and its quoted form."""
    text = json_text(output)
    quoted = history.quoted(text)
    _exited(run, frame, state, quoted, assigned)
    return text, quoted


def _exited(run: Run, frame: Frame, state: AnyState, quoted: str, assigned: Assigned) -> None:
    events = run.compiled.events[state.name]
    if assigned is None:
        run.emit(frame, events.exited, events.exited_details(quoted))
    else:
        details = events.exited_assigned(quoted, variables.texts(assigned))
        run.emit(frame, events.exited, details)


def _assign(run: Run, frame: Frame, state: AnyState, assigned: Assigned, entropy: Entropy) -> bool:
    """Apply a state's assignments to its scope (VAR-4); False when that failed the frame."""
    if not assigned:
        return True
    try:
        run.assign(frame, state.name, assigned)
    except FailureError as exc:  # VAR-8: the execution's variables passed 10 MiB
        fail_frame(run, frame, exc.failure, entropy)
        return False
    return True


def _evaluation_failed(run: Run, frame: Frame, evaluation: EvaluationFailed | None) -> None:
    """The ``EvaluationFailed`` event that precedes a JSONata failure's handling (QL-8)."""
    if evaluation is not None:
        details = history.evaluation_failed(
            str(evaluation.error), evaluation.cause, evaluation.location, evaluation.state
        )
        run.emit(frame, "EvaluationFailed", details)


def apply(
    run: Run, frame: Frame, state: AnyState, decision: Decision, entropy: Entropy
) -> str | None:
    """Carry out one decision. Returns the next state's name when the frame moved on and
    should be evaluated straight away, else None (it waits, finished or failed)."""
    if run.record.error is not None:
        # API-4: every transition comes through here, so the machine's deletion ends a
        # marked execution at its next one, whatever it was about to do.
        _terminate(run)
    match decision:
        case Advance(output=output, next=nxt, assigned=assigned):
            # One serialisation of the output serves the size check (IO-7), the Exited
            # event, the next Entered event (or ExecutionSucceeded) and the frame's row.
            data = orjson.dumps(output)
            if len(data) > MAX_PAYLOAD_BYTES:
                try:  # raises States.DataLimitExceeded with AWS's message
                    encode_output(state.name, output)
                except FailureError as exc:
                    fail_frame(run, frame, exc.failure, entropy)
                    return None
            text = data.decode()
            quoted = orjson.dumps(text).decode()  # history.quoted, inlined
            if assigned is not None and not _assign(run, frame, state, assigned, entropy):
                return None
            if state.type is not StateType.FAIL:
                _exited(run, frame, state, quoted, assigned)
            if nxt is None:
                finish_frame(run, frame, output, entropy, text=text, quoted=quoted)
                return None
            enter(run, frame, nxt, output, text=text, quoted=quoted)
            return nxt
        case Caught(output=output, next=nxt, assigned=assigned, evaluation=evaluation):
            _evaluation_failed(run, frame, evaluation)
            if not _assign(run, frame, state, assigned, entropy):
                return None
            text, quoted = _exit(run, frame, state, output, assigned)
            enter(run, frame, nxt, output, text=text, quoted=quoted)
            return nxt
        case Fail(failure=failure, evaluation=evaluation):
            _evaluation_failed(run, frame, evaluation)
            if evaluation is not None and frame.status is FrameStatus.READY:
                # HIST-6: a Map or Parallel whose own expression failed records its failure.
                if state.type in (StateType.MAP, StateType.PARALLEL):
                    run.emit(frame, f"{state.type.value}StateFailed")
            # ASL-FAIL-3: a failing state has no exit event; its scope fails directly.
            fail_frame(run, frame, failure, entropy)
            return None
        case Invoke():
            assert isinstance(state, TaskState)
            _schedule_task(run, frame, state, decision)
            return None
        case Wait(output=output, next=nxt, seconds=seconds, timestamp=timestamp):
            due = _due(frame, seconds, timestamp)
            if due <= run.tick.now:
                return apply(run, frame, state, Advance(output, nxt, decision.assigned), entropy)
            frame.status = FrameStatus.WAIT
            frame.wait_next, frame.wait_output = nxt, output
            frame.wait_assigned = decision.assigned
            frame.attempt += 1
            run.touch(frame)
            run.schedule(frame, "timer", due)
            return None
        case Retry(delay_seconds=delay, counts=counts, evaluation=evaluation):
            _evaluation_failed(run, frame, evaluation)
            frame.counts = list(counts)
            frame.retry_count += 1
            frame.status = FrameStatus.RETRY
            frame.attempt += 1
            run.touch(frame)
            run.schedule(frame, "timer", run.tick.now + delay)
            return None
        case RunBranches(input=branch_input):
            assert isinstance(state, ParallelState)
            started = run.emit(frame, "ParallelStateStarted")
            _fan_out(run, frame, [(b.start_at, branch_input) for b in state.branches], 0, started)
            return None
        case RunIterations(inputs=inputs, max_concurrency=limit):
            assert isinstance(state, MapState)
            started = run.emit(frame, "MapStateStarted", {"length": len(inputs)})
            if not inputs:
                _join(run, frame, entropy)
                return None
            start = state.processor.start_at
            _fan_out(run, frame, [(start, item) for item in inputs], limit, started)
            return None
    raise AssertionError(f"unknown decision {decision!r}")  # pragma: no cover


def _due(frame: Frame, seconds: int | None, timestamp: datetime | None) -> float:
    if seconds is not None:
        return frame.entered_time + seconds
    assert timestamp is not None
    return timestamp.timestamp()


# --- tasks ------------------------------------------------------------------------------


def _schedule_task(run: Run, frame: Frame, state: TaskState, invoke: Invoke) -> None:
    """Start a task attempt (``tasks`` has the task states' whole lifecycle)."""
    tasks.schedule(run, frame, state, invoke)


def _continue(
    run: Run, frame: Frame, state: AnyState, decision: Decision, entropy: Entropy
) -> None:
    """Apply a decision and, when the frame moved to another state, queue it to run."""
    following = apply(run, frame, state, decision, entropy)
    if following is not None and not run.closed and frame.id in run.frames:
        run.make_ready(frame)


def timer_fired(run: Run, frame: Frame, attempt: int, entropy: Entropy) -> None:
    """A Wait's or a retry backoff's due time came."""
    if frame.attempt != attempt:
        return
    state = _state(run, frame)
    if frame.status is FrameStatus.WAIT:
        output, nxt, assigned = frame.wait_output, frame.wait_next, frame.wait_assigned
        frame.wait_output, frame.wait_next, frame.wait_assigned = None, None, None
        _continue(run, frame, state, Advance(output, nxt, assigned), entropy)
    elif frame.status is FrameStatus.RETRY:
        run.make_ready(frame)


# --- Parallel and Map -------------------------------------------------------------------


def _fan_out(
    run: Run, frame: Frame, scopes: list[tuple[str, JSON]], limit: int, started_event: int
) -> None:
    """Create one child frame per branch or item; start at most ``limit`` (0: all)."""
    frame.status = FrameStatus.CHILDREN
    frame.attempt += 1
    frame.total, frame.started, frame.done = len(scopes), 0, 0
    frame.limit = limit or len(scopes)
    run.touch(frame)
    for index, (start, value) in enumerate(scopes):
        child = Frame(
            id=run.new_frame_id(),
            parent_id=frame.id,
            index=index,
            state=start,
            input=value,
            status=FrameStatus.PENDING,
            last_event=started_event,
        )
        run.frames[child.id] = child
        run.touch(child)
    _start_pending(run, frame)


def _children(run: Run, frame: Frame) -> list[Frame]:
    return sorted(
        (f for f in run.frames.values() if f.parent_id == frame.id), key=lambda f: f.index
    )


def _start_pending(run: Run, frame: Frame) -> None:
    """Start pending children while fewer than the frame's limit run (ASL-MAP-5)."""
    limit = frame.limit
    state = _state(run, frame)
    is_map = isinstance(state, MapState)
    running = frame.started - frame.done
    for child in _children(run, frame):
        if running >= limit:
            break
        if child.status is not FrameStatus.PENDING:
            continue
        previous = child.last_event
        if is_map:
            previous = run.emit(
                child,
                "MapIterationStarted",
                {"name": state.name, "index": child.index},
                previous=frame.last_event,
            )
        frame.started += 1
        running += 1
        enter(run, child, child.state, child.input, previous=previous)
        run.make_ready(child)
    run.touch(frame)


def finish_frame(
    run: Run,
    frame: Frame,
    output: JSON,
    entropy: Entropy,
    *,
    text: str | None = None,
    quoted: str | None = None,
) -> None:
    """A scope reached its end with ``output`` (``text``/``quoted``: its JSON, if known)."""
    if frame.parent_id is None:
        if text is None or quoted is None:
            text = json_text(output)
            quoted = history.quoted(text)
        run.emit(frame, "ExecutionSucceeded", history.succeeded_details(quoted), closing=True)
        run.close(ExecutionStatus.SUCCEEDED, output=output, output_text=text)
        raise Closed
    parent = run.frames[frame.parent_id]
    parent_state = _state(run, parent)
    frame.status = FrameStatus.DONE
    frame.output = output
    run.touch(frame)
    if isinstance(parent_state, MapState):
        run.emit(frame, "MapIterationSucceeded", {"name": parent_state.name, "index": frame.index})
    # The join's events follow the last scope to finish (HIST-2).
    parent.last_event = frame.last_event
    parent.done += 1
    run.touch(parent)
    if parent.done == parent.total:
        _join(run, parent, entropy)
    else:
        _start_pending(run, parent)


def _join(run: Run, frame: Frame, entropy: Entropy) -> None:
    """Every branch/iteration finished: the Parallel or Map state completes."""
    state = _state(run, frame)
    assert isinstance(state, ParallelState | MapState)
    children = _children(run, frame)
    results = [child.output for child in children]
    for child in children:
        run.remove(child)
    kind = "MapState" if isinstance(state, MapState) else "ParallelState"
    run.emit(frame, f"{kind}Succeeded")
    env = _env(run, frame, state, entropy)
    decision = evaluate.complete(state, frame.input, results, env, tuple(frame.counts))
    _continue(run, frame, state, decision, entropy)


def fail_frame(run: Run, frame: Frame, failure: Failure, entropy: Entropy) -> None:
    """A scope failed: fail the execution, or the Parallel/Map state that holds it."""
    if frame.parent_id is None:
        run.emit(
            frame,
            "ExecutionFailed",
            history.error_details(failure.error, failure.cause),
            closing=True,
        )
        run.close(ExecutionStatus.FAILED, error=failure.error, cause=failure.cause)
        raise Closed
    parent = run.frames[frame.parent_id]
    parent_state = _state(run, parent)
    assert isinstance(parent_state, ParallelState | MapState)
    is_map = isinstance(parent_state, MapState)
    trigger = frame.last_event
    if is_map:
        trigger = run.emit(
            frame, "MapIterationFailed", {"name": parent_state.name, "index": frame.index}
        )
    # ASL-PAR-3, ASL-MAP-6: siblings still running are aborted.
    for sibling in _children(run, parent):
        if sibling.id == frame.id or sibling.status in (FrameStatus.DONE, FrameStatus.PENDING):
            continue
        _abort_frame(run, sibling, trigger)
        if is_map:
            run.emit(
                None,
                "MapIterationAborted",
                {"name": parent_state.name, "index": sibling.index},
                previous=trigger,
            )
    for child in _children(run, parent):
        run.remove(child)
    parent.last_event = trigger
    run.emit(parent, "MapStateFailed" if is_map else "ParallelStateFailed")
    env = _env(run, parent, parent_state, entropy)
    decision = evaluate.fail(parent_state, parent.input, failure, env, tuple(parent.counts))
    _continue(run, parent, parent_state, decision, entropy)


_ABORTED = {
    StateType.TASK: "TaskStateAborted",
    StateType.WAIT: "WaitStateAborted",
    StateType.PARALLEL: "ParallelStateAborted",
    StateType.MAP: "MapStateAborted",
}


def _abort_frame(run: Run, frame: Frame, trigger: int) -> None:
    """Record the abort of a running scope's current state and of its own children."""
    for child in _children(run, frame):
        if child.status not in (FrameStatus.DONE, FrameStatus.PENDING):
            _abort_frame(run, child, trigger)
    event_type = _ABORTED.get(_state(run, frame).type)
    if event_type is not None:
        run.emit(None, event_type, previous=trigger)


def _terminate(run: Run) -> None:
    """End an execution whose state machine is being deleted (see ``deleting``)."""
    doom = deleting.doomed(run.record)
    if doom is None:
        return
    fail_run(run, doom)
    raise Closed


def fail_run(run: Run, failure: Failure, *, event_type: str = "ExecutionFailed") -> None:
    """End the execution at once (history limit, internal error) with ``failure``."""
    run.emit(
        None,
        event_type,
        history.error_details(failure.error, failure.cause),
        previous=run.last_event_id,
        closing=True,
    )
    run.close(ExecutionStatus.FAILED, error=failure.error, cause=failure.cause)

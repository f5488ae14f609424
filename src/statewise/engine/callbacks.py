"""Callbacks by task token: SendTaskSuccess/Failure/Heartbeat and activity pickups.

A token names one attempt of one frame (``statewise.tasktokens``). Checking it needs the
key and the frame's current attempt only, and every callback is applied as a command of
the scheduler, so it lands in a tick's single commit like StopExecution does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import orjson

from statewise.asl.entropy import Entropy
from statewise.engine import tasks
from statewise.engine.frames import Frame
from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest, TaskSucceeded
from statewise.engine.run import Run
from statewise.engine.tick import Tick
from statewise.errors import InvalidToken, TaskDoesNotExist, TaskTimedOut
from statewise.store.base import ExecutionRecord, Store
from statewise.tasktokens import BadToken, TaskAttempt, TaskTokens

Action = Callable[[Run | None, Tick], ExecutionRecord | None]


class EngineSide(Protocol):
    """What callbacks need of the engine."""

    store: Store
    tokens: TaskTokens
    entropy: Entropy

    def act(self, execution_arn: str, action: Action) -> Awaitable[ExecutionRecord | None]: ...


def _timed_out() -> TaskTimedOut:
    return TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")


def attempt_of(engine: EngineSide, token: str) -> TaskAttempt:
    """The attempt a token names.

    Raises:
        InvalidToken: not a token of this server (API-31).
    """
    try:
        return engine.tokens.verify(token)
    except BadToken:
        raise InvalidToken("Invalid Token: 'Invalid token'") from None


async def _on_attempt(
    engine: EngineSide, attempt: TaskAttempt, apply: Callable[[Run, Frame], object]
) -> None:
    """Apply ``apply`` to the attempt's frame in the next tick.

    The execution is read only by the tick, so a callback costs no read of its own.

    Raises:
        TaskDoesNotExist: the token names no execution (or one that used its name before).
        TaskTimedOut: the attempt is over: it timed out, was retried, the task moved on or
            the execution closed.
    """
    verdict: list[str] = []

    def action(run: Run | None, tick: Tick) -> ExecutionRecord | None:
        if run is None:
            return None
        if round(run.record.start_date * 1000) != attempt.start_ms:
            verdict.append("unknown")
            return None
        frame = run.frames.get(attempt.frame_id)
        if frame is None or tasks.current(run, frame, attempt.attempt) is None:
            verdict.append("over")
            return None
        # Noted first: ``apply`` may close the execution, which ends the action by raising.
        verdict.append("applied")
        if apply(run, frame) is False:
            verdict[-1] = "over"  # refused: e.g. a second pickup of one activity task
        return None

    await engine.act(attempt.execution_arn, action)
    # The last verdict counts: a command is run again when its tick lost a start race.
    last = verdict[-1] if verdict else None
    if last == "applied":
        return
    if last == "over":
        raise _timed_out()
    # No running execution of that start: closed (the task is over), or never there.
    record = None if verdict else await engine.store.get_execution(attempt.execution_arn)
    if record is None or round(record.start_date * 1000) != attempt.start_ms:
        raise TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")
    raise _timed_out()


async def _finish(engine: EngineSide, token: str, result: TaskOutcome) -> None:
    attempt = attempt_of(engine, token)
    await _on_attempt(
        engine,
        attempt,
        lambda run, frame: tasks.outcome(
            run, frame, attempt.attempt, result, engine.entropy, callback=True
        ),
    )


async def send_task_success(engine: EngineSide, token: str, output: str) -> None:
    """SendTaskSuccess (API-31); ``output`` is JSON text already checked by the API."""
    await _finish(engine, token, TaskSucceeded(orjson.loads(output)))


async def send_task_failure(
    engine: EngineSide, token: str, error: str | None, cause: str | None
) -> None:
    """SendTaskFailure (API-32)."""
    await _finish(engine, token, TaskFailed(error, cause))


async def send_task_heartbeat(engine: EngineSide, token: str) -> None:
    """SendTaskHeartbeat (API-33): the attempt's heartbeat deadline moves on."""
    attempt = attempt_of(engine, token)
    seconds = await _heartbeat_seconds(engine, attempt)

    await _on_attempt(
        engine, attempt, lambda run, frame: tasks.heartbeat(run, frame, attempt.attempt, seconds)
    )


async def _heartbeat_seconds(engine: EngineSide, attempt: TaskAttempt) -> int | None:
    """The attempt's HeartbeatSeconds, kept in its heartbeat work item."""
    wanted = f"{attempt.execution_arn}#{attempt.frame_id}#heartbeat#{attempt.attempt}"
    for item in await engine.store.get_work(attempt.execution_arn):
        if item.id == wanted:
            seconds = orjson.loads(item.payload).get("seconds")
            return int(seconds) if seconds is not None else None
    return None


async def activity_started(
    engine: EngineSide, request: TaskRequest, worker_name: str | None
) -> bool:
    """Commit a worker's pickup of an activity task; False when the attempt is over."""
    if request.token is None:
        return False
    try:
        attempt = attempt_of(engine, request.token)
        await _on_attempt(
            engine,
            attempt,
            lambda run, frame: tasks.activity_started(
                run, frame, attempt.attempt, worker_name, request.heartbeat_seconds
            ),
        )
    except (InvalidToken, TaskDoesNotExist, TaskTimedOut):
        return False
    return True

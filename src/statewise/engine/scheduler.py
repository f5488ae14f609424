"""The engine: a scheduler loop that claims due work, steps executions and group-commits.

Everything that changes an execution goes through the loop: API calls (start, stop) and task
outcomes are queued as commands, due work items are claimed from the store, and one tick
handles all of them and commits its whole batch in one transaction. Nothing waits in
memory: a Wait, a retry backoff or a task timeout is a work item with a due time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import orjson

from statewise import arns
from statewise.asl.entropy import Entropy, SystemEntropy
from statewise.asl.errors import Failure, StatesError
from statewise.asl.parse import load
from statewise.clock import Clock, ManualClock, SystemClock
from statewise.engine import history, steps
from statewise.engine import starts as starting
from statewise.engine.frames import Frame
from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRunner
from statewise.engine.run import Closed, Compiled, HistoryLimitReached, Run
from statewise.engine.starts import definition_id, idempotent, region_account
from statewise.engine.tick import Dispatch, Tick
from statewise.errors import ExecutionAlreadyExists, ExecutionDoesNotExist
from statewise.store.base import (
    DuplicateExecution,
    ExecutionRecord,
    ExecutionStatus,
    Store,
    WorkRecord,
)
from statewise.types import JSON

__all__ = ["Engine", "EngineSettings", "definition_id"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Start:
    """A new execution to begin in the next tick (its Run is built there, not before)."""

    record: ExecutionRecord
    compiled: Compiled
    definition: str
    timeout_seconds: int | None
    execution_input: JSON


@dataclass(slots=True)
class _Command:
    """Something to do for one execution in the next tick; ``done`` resolves after commit."""

    execution_arn: str
    action: Callable[[Run | None, Tick], ExecutionRecord | None] | None
    done: asyncio.Future[ExecutionRecord | None]
    start: _Start | None = None


@dataclass(slots=True)
class _Outcome:
    work_id: str
    execution_arn: str
    frame_id: int
    attempt: int
    outcome: TaskOutcome


@dataclass(slots=True, kw_only=True)
class EngineSettings:
    """Tunables of the scheduler loop."""

    owner: str = "local"
    lease_seconds: float = 30.0
    claim_limit: int = 1024
    idle_poll_seconds: float = 1.0
    max_duration_seconds: float | None = None


class Engine:
    """Runs executions durably over a :class:`Store`.

    Args:
        store: where everything is persisted.
        tasks: what runs Task states.
        clock: the time source; a :class:`ManualClock` gives virtual time.
        entropy: randomness for UUIDs and jitter.
    """

    def __init__(
        self,
        store: Store,
        tasks: TaskRunner,
        *,
        clock: Clock | None = None,
        entropy: Entropy | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self.store = store
        self.tasks = tasks
        self.clock = clock or SystemClock()
        self.entropy = entropy or SystemEntropy()
        self.settings = settings or EngineSettings()
        self._commands: list[_Command] = []
        self._outcomes: list[_Outcome] = []
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._leases: dict[str, WorkRecord] = {}
        self._compiled: dict[str, Compiled] = {}
        # Definition ids committed to (or read from) the store: never written again.
        self._stored_definitions: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[ExecutionRecord]]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the scheduler loop runs."""
        return self._loop_task is not None

    async def start(self) -> None:
        """Reclaim this node's old leases and start the scheduler loop."""
        await self.store.release_leases(self.settings.owner)
        self._stopping = False
        self._loop_task = asyncio.create_task(self._loop(), name="statewise-scheduler")

    async def stop(self) -> None:
        """Stop the loop; running task attempts are abandoned (their work stays durable)."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for task in list(self._in_flight.values()):
            task.cancel()
        for task in list(self._in_flight.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._in_flight.clear()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                busy = await self.tick()
            except Exception:  # a failing tick must not kill the node; its batch is lost
                logger.exception("scheduler tick failed")
                await asyncio.sleep(self.settings.idle_poll_seconds)
                continue
            if busy:
                await asyncio.sleep(0)
                continue
            await self._idle()

    async def _idle(self) -> None:
        due = await self.store.next_due()
        timeout = self.settings.idle_poll_seconds
        if due is not None:
            timeout = max(0.0, min(timeout, due - self.clock.now()))
        self._wake.clear()
        if self._commands or self._outcomes:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def run_until_idle(self, *, grace_seconds: float = 0.05) -> None:
        """Tick until nothing is runnable; with a ManualClock, jump to each next due time.

        Virtual time: a Wait of a month completes at once, history showing the virtual
        times. A task still running after ``grace_seconds`` of real time lets the clock jump
        too, so task timeouts and heartbeats fire as they would.
        """
        while True:
            if await self.tick():
                continue
            if self._in_flight and not self._outcomes:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), grace_seconds)
                if self._outcomes:
                    continue
            due = await self.store.next_due()
            if self._outcomes or self._commands:
                continue  # a task finished while the store was being read
            if due is None:
                if self._in_flight:
                    continue
                return
            if due <= self.clock.now():
                continue
            if not isinstance(self.clock, ManualClock):
                await asyncio.sleep(min(due - self.clock.now(), self.settings.idle_poll_seconds))
                continue
            self.clock.set(due)

    # --- public operations -----------------------------------------------------------------

    async def start_execution(
        self,
        *,
        state_machine_arn: str,
        name: str,
        definition: str,
        input_text: str = "{}",
        role_arn: str = "",
        version_arn: str | None = None,
        alias_arn: str | None = None,
        timeout_seconds: int | None = None,
        trace_header: str | None = None,
        arn: str | None = None,
    ) -> ExecutionRecord:
        """Start a Standard execution, durably, or return the running twin (API-16).

        ``arn`` overrides the execution ARN derived from the machine and name (Express
        executions have their own form, ARN-2).

        Raises:
            ExecutionAlreadyExists: the name was used with another input, or has finished.
        """
        machine_name = arns.resource_name(state_machine_arn)
        region, account = region_account(state_machine_arn)
        arn = arn or arns.execution(machine_name, name, region, account)
        # No read of the store here: a start whose name is taken is found by the commit
        # (DuplicateExecution) and answered then, so a new start costs no round trip.
        key = definition_id(definition)
        compiled = self._compile(definition, key)
        record = ExecutionRecord(
            arn=arn,
            state_machine_arn=state_machine_arn,
            name=name,
            definition_id=key,
            status=ExecutionStatus.RUNNING,
            input=input_text,
            start_date=self.clock.now(),
            role_arn=role_arn,
            version_arn=version_arn,
            alias_arn=alias_arn,
            trace_header=trace_header,
        )
        start = _Start(
            record,
            compiled,
            definition,
            timeout_seconds or compiled.machine.timeout_seconds,
            orjson.loads(input_text),
        )
        loop = asyncio.get_running_loop()
        result = await self._submit(_Command(arn, None, loop.create_future(), start))
        assert result is not None
        return result

    async def stop_execution(
        self, arn: str, *, error: str | None = None, cause: str | None = None
    ) -> ExecutionRecord:
        """Abort a running execution (API-19); a closed one is returned unchanged.

        Raises:
            ExecutionDoesNotExist: no such execution.
        """
        if await self.store.get_execution(arn) is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")

        def abort(run: Run | None, tick: Tick) -> ExecutionRecord | None:
            if run is None or run.closed:
                return run.record if run is not None else None
            run.emit(
                None,
                "ExecutionAborted",
                history.error_details(error, cause),
                previous=0,
                closing=True,
            )
            run.close(ExecutionStatus.ABORTED, error=error, cause=cause)
            return run.record

        loop = asyncio.get_running_loop()
        result = await self._submit(_Command(arn, abort, loop.create_future()))
        if result is None:
            found = await self.store.get_execution(arn)
            assert found is not None
            return found
        return result

    async def wait_for(self, arn: str) -> ExecutionRecord:
        """Wait until the execution closes; returns its final record."""
        record = await self.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        if record.status is not ExecutionStatus.RUNNING:
            return record
        future: asyncio.Future[ExecutionRecord] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(arn, []).append(future)
        # The execution may have closed between the read and the registration.
        record = await self.store.get_execution(arn)
        if record is not None and record.status is not ExecutionStatus.RUNNING:
            self._resolve_waiters(record)
        return await future

    async def _submit(self, command: _Command) -> ExecutionRecord | None:
        self._commands.append(command)
        self._wake.set()
        if self._loop_task is None:
            # No loop running (tests, `statewise run`): tick inline.
            await self.tick()
        return await command.done

    # --- the tick ------------------------------------------------------------------------

    def _new_tick(self, now: float) -> Tick:
        return Tick(now, self.settings.owner, self.settings.lease_seconds, self._stored_definitions)

    def _compile(self, definition: str, key: str | None = None) -> Compiled:
        key = key or definition_id(definition)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = Compiled.of(load(definition))
            self._compiled[key] = compiled
        return compiled

    async def _load(self, arn: str, tick: Tick) -> Run | None:
        record = await self.store.get_execution(arn)
        if record is None or record.status is not ExecutionStatus.RUNNING:
            return None
        compiled = self._compiled.get(record.definition_id)
        if compiled is None:
            text = await self.store.get_definition(record.definition_id)
            if text is None:
                logger.error("definition %s of %s is missing", record.definition_id, arn)
                return None
            compiled = self._compile(text, record.definition_id)
            self._stored_definitions.add(record.definition_id)
        frames = {f.id: Frame.from_record(f) for f in await self.store.get_frames(arn)}
        return Run(
            record=record,
            compiled=compiled,
            frames=frames,
            tick=tick,
            execution_input=orjson.loads(record.input),
        )

    async def tick(self) -> bool:
        """One round: commands, task outcomes and due work, committed together.

        Returns whether there was anything to do.
        """
        now = self.clock.now()
        commands, self._commands = self._commands, []
        outcomes, self._outcomes = self._outcomes, []
        tick = self._new_tick(now)
        claimed = await self.store.claim_due(
            now=now,
            limit=self.settings.claim_limit,
            owner=self.settings.owner,
            lease_seconds=self.settings.lease_seconds,
        )
        renewals = self._renewals(now)
        if not commands and not outcomes and not claimed and not renewals:
            return False
        runs: dict[str, Run | None] = {}

        async def run_of(arn: str) -> Run | None:
            if arn not in runs:
                runs[arn] = await self._load(arn, tick)
            return runs[arn]

        results: list[tuple[_Command, ExecutionRecord | None]] = []
        starts: dict[str, _Command] = {}
        for command in commands:
            start = command.start
            if start is None:
                run = await run_of(command.execution_arn)
                assert command.action is not None
                results.append((command, self._guarded(run, partial(command.action, run, tick))))
                continue
            arn = command.execution_arn
            if arn in runs:
                # A twin started earlier in this tick, or the execution was loaded for
                # another command: answer from what is known instead of inserting again.
                known = runs[arn]
                existing = known.record if known else await self.store.get_execution(arn)
                if existing is not None:
                    try:
                        results.append((command, idempotent(existing, start.record.input)))
                    except ExecutionAlreadyExists as exc:
                        command.done.set_exception(exc)
                    continue
            run = Run(
                record=start.record,
                compiled=start.compiled,
                frames={},
                tick=tick,
                execution_input=start.execution_input,
                new=True,
            )
            runs[arn] = run
            starts[arn] = command
            action = partial(
                starting.begin,
                run,
                tick,
                start.definition,
                start.timeout_seconds,
                self.settings.max_duration_seconds,
            )
            results.append((command, self._guarded(run, action)))
        for outcome in outcomes:
            self._leases.pop(outcome.work_id, None)
            run = await run_of(outcome.execution_arn)
            tick.delete_work(outcome.work_id)
            if run is None or outcome.frame_id not in run.frames:
                continue
            frame = run.frames[outcome.frame_id]
            self._guarded(
                run,
                partial(
                    steps.task_outcome, run, frame, outcome.attempt, outcome.outcome, self.entropy
                ),
            )
        for item in claimed:
            run = await run_of(item.execution_arn)
            if run is None:
                tick.delete_work(item.id)
                continue
            self._guarded(run, partial(self._work, run, tick, item))
        for loaded in runs.values():
            if loaded is not None:
                self._guarded(loaded, partial(steps.step_runnable, loaded, self.entropy))
                loaded.flush()
        batch = tick.finish()
        deleted = set(batch.deleted_work)
        batch.work.extend(r for r in renewals if r.id not in deleted)
        try:
            lost = await self._commit(tick, starts)
        except Exception as exc:
            for command, _ in results:
                if not command.done.done():
                    command.done.set_exception(exc)
            raise
        self._stored_definitions.update(d.id for d in batch.definitions)
        for arn, verdict in lost.items():
            if isinstance(verdict, Exception):
                starts[arn].done.set_exception(verdict)
            else:
                starts[arn].done.set_result(verdict)
        deleted = set(batch.deleted_work)
        for work_id in deleted:
            # The attempt is over (timed out, aborted, execution closed): stop running it.
            self._leases.pop(work_id, None)
            running = self._in_flight.pop(work_id, None)
            if running is not None:
                running.cancel()
        for command, result in results:
            if not command.done.done():
                command.done.set_result(result)
        for record in tick.closed:
            self._resolve_waiters(record)
        for dispatch in tick.dispatches:
            if not tick.pending(dispatch.work_id):
                continue  # the attempt ended within the tick (the execution closed)
            self._dispatch(dispatch)
        for item in claimed:
            if item.kind == "task" and item.id not in self._in_flight:
                self._redispatch(item, runs.get(item.execution_arn))
        return True

    async def _commit(
        self, tick: Tick, starts: dict[str, _Command]
    ) -> dict[str, ExecutionRecord | Exception]:
        """Commit the tick's batch, answering starts whose name was already taken.

        start_execution does not read the store, so the commit is where a taken name shows
        (DuplicateExecution). Then every start of the tick is looked up once, those that
        exist are taken out of the batch and answered as API-16 says (the running twin, or
        ExecutionAlreadyExists), and the rest is committed again. A restarted client that
        starts a thousand known names costs one failed commit, not a thousand.
        """
        lost: dict[str, ExecutionRecord | Exception] = {}
        while True:
            try:
                await self.store.commit(tick.batch)
                return lost
            except DuplicateExecution as exc:
                if exc.arn not in starts or exc.arn in lost:
                    raise
                pending = [arn for arn in starts if arn not in lost]
                found = await asyncio.gather(*(self.store.get_execution(a) for a in pending))
                for arn, existing in zip(pending, found, strict=True):
                    if existing is None:
                        continue
                    tick.discard_execution(arn)
                    start = starts[arn].start
                    assert start is not None
                    try:
                        lost[arn] = idempotent(existing, start.record.input)
                    except ExecutionAlreadyExists as error:
                        lost[arn] = error
                if exc.arn not in lost:
                    raise  # the store reports a clash it cannot show: do not loop

    def _guarded(self, run: Run | None, action: Callable[[], Any]) -> ExecutionRecord | None:
        """Run one step of work on an execution, turning engine limits into failures."""
        try:
            result = action()
        except Closed:
            return run.record if run is not None else None
        except HistoryLimitReached:
            assert run is not None
            steps.fail_run(run, Failure(StatesError.RUNTIME, history.HISTORY_LIMIT_CAUSE))
            return run.record
        return result if isinstance(result, ExecutionRecord) else None

    def _work(self, run: Run | None, tick: Tick, item: WorkRecord) -> ExecutionRecord | None:
        """Handle one claimed work item."""
        assert run is not None
        frame = run.frames.get(item.frame_id)
        if item.kind == "execution-timeout":
            tick.delete_work(item.id)
            run.emit(
                None,
                "ExecutionTimedOut",
                history.error_details(StatesError.TIMEOUT, None),
                previous=0,
                closing=True,
            )
            run.close(ExecutionStatus.TIMED_OUT, error=StatesError.TIMEOUT)
            return run.record
        if frame is None:
            tick.delete_work(item.id)
            return None
        attempt = int(item.id.rsplit("#", 1)[1])
        match item.kind:
            case "step":
                tick.delete_work(item.id)
                if frame.attempt == attempt:
                    run.runnable.append(frame.id)
            case "timer":
                tick.delete_work(item.id)
                steps.timer_fired(run, frame, attempt, self.entropy)
            case "timeout" | "heartbeat":
                tick.delete_work(item.id)
                steps.task_timed_out(run, frame, attempt, item.kind == "heartbeat", self.entropy)
            case "task":
                # Claimed again after a restart or a lost lease: the attempt runs once more
                # after the commit (task invocations are at-least-once); the item stays.
                pass
            case _:
                logger.warning("unknown work kind %s", item.kind)
                tick.delete_work(item.id)
        return None

    def _renewals(self, now: float) -> list[WorkRecord]:
        """Leases of running task attempts that need renewing before they lapse."""
        horizon = now + self.settings.lease_seconds / 3
        renewed = []
        for work_id, item in self._leases.items():
            if item.lease_until is not None and item.lease_until <= horizon:
                item = replace(
                    item,
                    lease_owner=self.settings.owner,
                    lease_until=now + self.settings.lease_seconds,
                )
                self._leases[work_id] = item
                renewed.append(item)
        return renewed

    def _dispatch(self, dispatch: Dispatch) -> None:
        self._leases[dispatch.work_id] = dispatch.work
        self._in_flight[dispatch.work_id] = asyncio.create_task(
            self._run_task(dispatch), name=f"task {dispatch.work_id}"
        )

    def _redispatch(self, item: WorkRecord, run: Run | None) -> None:
        """Start again a task attempt whose earlier run was lost (crash, expired lease)."""
        if run is None or item.frame_id not in run.frames:
            return
        frame = run.frames[item.frame_id]
        attempt = int(item.id.rsplit("#", 1)[1])
        if frame.attempt != attempt:
            return
        dispatch = steps.redispatch(run, frame, item)
        if dispatch is not None:
            self._dispatch(dispatch)

    async def _run_task(self, dispatch: Dispatch) -> None:
        try:
            outcome = await self.tasks.run(dispatch.request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a runner bug must not leave the task hanging forever
            logger.exception("task runner failed for %s", dispatch.work_id)
            outcome = TaskFailed("States.TaskFailed", f"{type(exc).__name__}: {exc}")
        finally:
            self._in_flight.pop(dispatch.work_id, None)
        self._outcomes.append(
            _Outcome(
                dispatch.work_id,
                dispatch.work.execution_arn,
                dispatch.frame_id,
                dispatch.attempt,
                outcome,
            )
        )
        self._wake.set()

    def _resolve_waiters(self, record: ExecutionRecord) -> None:
        for future in self._waiters.pop(record.arn, []):
            if not future.done():
                future.set_result(record)

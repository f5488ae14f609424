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
from asyncio import FIRST_COMPLETED
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
from statewise.engine import callbacks, history, steps, tasks, work
from statewise.engine import starts as starting
from statewise.engine.attempts import Attempts, Outcome
from statewise.engine.frames import Frame
from statewise.engine.ports import TaskRequest, TaskRunner, TaskSubmitted
from statewise.engine.run import Closed, Compiled, HistoryLimitReached, Run
from statewise.engine.starts import Start, definition_id, idempotent, region_account
from statewise.engine.tick import Tick
from statewise.engine.waiters import Waiters
from statewise.errors import ExecutionAlreadyExists, ExecutionDoesNotExist
from statewise.store.base import (
    ExecutionRecord,
    ExecutionStatus,
    Store,
    WorkRecord,
)
from statewise.tasktokens import TaskTokens

__all__ = ["Engine", "EngineSettings", "definition_id"]

logger = logging.getLogger(__name__)

# How soon a tick retries commands for executions another node held.
_HELD_RETRY_SECONDS = 0.002


@dataclass(slots=True)
class _Command:
    """Something to do for one execution in the next tick; ``done`` resolves after commit."""

    execution_arn: str
    action: Callable[[Run | None, Tick], ExecutionRecord | None] | None
    done: asyncio.Future[ExecutionRecord | None]
    start: Start | None = None


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
        tokens: signs and checks task tokens; give the same key to every engine of a store
            so that tokens outlive the process (the default key dies with it).
    """

    def __init__(
        self,
        store: Store,
        tasks: TaskRunner,
        *,
        clock: Clock | None = None,
        entropy: Entropy | None = None,
        settings: EngineSettings | None = None,
        tokens: TaskTokens | None = None,
    ) -> None:
        self.store = store
        self.tokens = tokens or TaskTokens.ephemeral()
        self.clock = clock or SystemClock()
        self.entropy = entropy or SystemEntropy()
        self.settings = settings or EngineSettings()
        self._commands: list[_Command] = []
        self._wake = asyncio.Event()
        self._attempts = Attempts(tasks, self._wake.set)
        self._compiled: dict[str, Compiled] = {}
        # Definition ids committed to (or read from) the store: never written again.
        self._stored_definitions: set[str] = set()
        self._waiters = Waiters(store, self.settings.idle_poll_seconds)
        self._loop_task: asyncio.Task[None] | None = None
        self._heard: asyncio.Future[bool] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._stopping = False

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the scheduler loop runs."""
        return self._loop_task is not None

    @property
    def tasks(self) -> TaskRunner:
        """What runs Task states."""
        return self._attempts.runner

    @tasks.setter
    def tasks(self, runner: TaskRunner) -> None:
        self._attempts.runner = runner

    @property
    def tasks_in_flight(self) -> int:
        """How many task attempts are being run right now."""
        return len(self._attempts)

    async def start(self) -> None:
        """Reclaim this node's old leases and start the scheduler loop."""
        await self.store.release_leases(self.settings.owner)
        self._stopping = False
        self._loop_task = asyncio.create_task(self._loop(), name="statewise-scheduler")
        self._watch_task = asyncio.create_task(self._waiters.watch(), name="statewise-closes")

    async def stop(self) -> None:
        """Stop the loop; running task attempts are abandoned (their work stays durable)."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch_task
            self._watch_task = None
        if self._heard is not None:
            self._heard.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._heard
            self._heard = None
        await self._attempts.stop()

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
        if self._commands or self._attempts.outcomes:
            # Nothing could be done yet: what waits is for executions another node holds
            # for the few milliseconds of its tick.
            await asyncio.sleep(_HELD_RETRY_SECONDS)
            return
        due = await self.store.next_due()
        timeout = self.settings.idle_poll_seconds
        if due is not None:
            timeout = max(0.0, min(timeout, due - self.clock.now()))
        self._wake.clear()
        if self._commands or self._attempts.outcomes:
            return
        # Woken by this node's own commands, or by another node's commit of work due now.
        # The store's wait is kept across idle spells rather than cancelled: cancelling it
        # while it (re)connects its listener would tear that connection down every time.
        if self._heard is None or self._heard.done():
            self._heard = asyncio.ensure_future(self.store.wait_for_work(timeout))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait((woken, self._heard), timeout=timeout, return_when=FIRST_COMPLETED)
        finally:
            woken.cancel()
        if self._heard.done() and not self._heard.cancelled() and self._heard.exception():
            logger.warning("waiting for other nodes' work failed: %s", self._heard.exception())

    async def run_until_idle(self, *, grace_seconds: float = 0.05) -> None:
        """Tick until nothing is runnable; with a ManualClock, jump to each next due time.

        Virtual time: a Wait of a month completes at once, history showing the virtual
        times. A task still running after ``grace_seconds`` of real time lets the clock jump
        too, so task timeouts and heartbeats fire as they would.
        """
        while True:
            if await self.tick():
                continue
            if self._attempts and not self._attempts.outcomes:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), grace_seconds)
                if self._attempts.outcomes:
                    continue
            due = await self.store.next_due()
            if self._attempts.outcomes or self._commands:
                continue  # a task finished while the store was being read
            if due is None:
                if self._attempts:
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
        start = Start(
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
        """Wait until the execution closes; returns its final record.

        Raises:
            ExecutionDoesNotExist: no such execution.
        """
        return await self._waiters.wait_for(arn)

    # --- callbacks by task token (API-31..API-33, INT-9) --------------------------------

    async def send_task_success(self, token: str, output: str) -> None:
        """SendTaskSuccess: the token's task succeeds with ``output`` (JSON text)."""
        await callbacks.send_task_success(self, token, output)

    async def send_task_failure(self, token: str, *, error: str | None, cause: str | None) -> None:
        """SendTaskFailure: the token's task fails with ``error`` and ``cause``."""
        await callbacks.send_task_failure(self, token, error, cause)

    async def send_task_heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: the token's task is alive; its heartbeat clock restarts."""
        await callbacks.send_task_heartbeat(self, token)

    async def activity_started(self, request: TaskRequest, worker_name: str | None) -> bool:
        """Commit a worker's pickup of an activity task; False when it is no longer wanted."""
        return await callbacks.activity_started(self, request, worker_name)

    async def act(
        self, execution_arn: str, action: Callable[[Run | None, Tick], ExecutionRecord | None]
    ) -> ExecutionRecord | None:
        """Apply ``action`` to an execution in the next tick; returns after the commit."""
        future = asyncio.get_running_loop().create_future()
        return await self._submit(_Command(execution_arn, action, future))

    async def _submit(self, command: _Command) -> ExecutionRecord | None:
        self._commands.append(command)
        self._wake.set()
        if self._loop_task is None:
            # No loop running (tests, `statewise run`): tick inline, again if the tick put
            # the command back for the next one (it acted on a start that lost its name).
            # A tick that fails hands the failure to this caller, and the command must not
            # linger to be applied by some later tick.
            try:
                await self.tick()
                while not command.done.done() and command in self._commands:
                    await self.tick()
            except Exception:
                if command in self._commands:
                    self._commands.remove(command)
                raise
        return await command.done

    # --- the tick ------------------------------------------------------------------------

    def _new_tick(self, now: float) -> Tick:
        return Tick(
            now,
            self.settings.owner,
            self.settings.lease_seconds,
            self._stored_definitions,
            tokens=self.tokens,
        )

    def _compile(self, definition: str, key: str | None = None) -> Compiled:
        key = key or definition_id(definition)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = Compiled.of(load(definition), definition)
            self._compiled[key] = compiled
        return compiled

    async def _load(self, arns: list[str], tick: Tick) -> dict[str, Run | None]:
        """The tick's executions, read at once: a Run for each running one, else None."""
        loaded = await self.store.load_running(arns) if arns else {}
        runs: dict[str, Run | None] = dict.fromkeys(arns)
        for arn, (record, frames) in loaded.items():
            compiled = self._compiled.get(record.definition_id)
            if compiled is None:
                text = await self.store.get_definition(record.definition_id)
                if text is None:
                    logger.error("definition %s of %s is missing", record.definition_id, arn)
                    continue
                compiled = self._compile(text, record.definition_id)
                self._stored_definitions.add(record.definition_id)
            runs[arn] = Run(
                record=record,
                compiled=compiled,
                frames={f.id: Frame.from_record(f) for f in frames},
                tick=tick,
                execution_input=orjson.loads(record.input),
            )
        return runs

    async def tick(self) -> bool:
        """One round: commands, task outcomes and due work, committed together.

        Returns whether there was anything to do.
        """
        try:
            return await self._tick()
        finally:
            # Held from the claim (and the commands' locks) until after the commit.
            await self.store.unlock_executions()

    async def _tick(self) -> bool:
        now = self.clock.now()
        commands, self._commands = self._commands, []
        attempts = self._attempts
        outcomes, attempts.outcomes = attempts.outcomes, []
        tick = self._new_tick(now)
        try:
            claimed = await self.store.claim_due(
                now=now,
                limit=self.settings.claim_limit,
                owner=self.settings.owner,
                lease_seconds=self.settings.lease_seconds,
            )
            renewed = await attempts.renew(
                self.store, self.settings.owner, self.settings.lease_seconds, now
            )
            commands, outcomes = await self._hold(commands, outcomes)
        except Exception:
            # Nothing was applied yet: the commands and outcomes wait for the next tick
            # (the store may be back by then) rather than being lost with this one.
            self._commands[:0] = commands
            attempts.outcomes[:0] = outcomes
            raise
        if not commands and not outcomes and not claimed and not renewed:
            return False
        # Every execution the tick touches is loaded up front in one read: one read each
        # capped a tick of a thousand task outcomes or timers at a few thousand a second.
        wanted = [c.execution_arn for c in commands if c.start is None]
        wanted.extend(o.execution_arn for o in outcomes)
        wanted.extend(i.execution_arn for i in claimed)
        runs = await self._load(list(dict.fromkeys(wanted)), tick)
        # A submission goes before the commands: a callback may be queued right behind the
        # call that handed its token out, and history shows TaskSubmitted first (HIST-6).
        self._apply_outcomes(
            [o for o in outcomes if isinstance(o.outcome, TaskSubmitted)], tick, runs
        )
        results, begun = await self._commands_of(commands, tick, runs)
        self._apply_outcomes(
            [o for o in outcomes if not isinstance(o.outcome, TaskSubmitted)], tick, runs
        )
        for item in claimed:
            run = runs[item.execution_arn]
            if run is None:
                tick.delete_work(item.id)
                continue
            self._guarded(run, partial(work.handle, run, tick, item, self.entropy))
        for maybe in runs.values():
            if maybe is not None:
                self._guarded(maybe, partial(steps.step_runnable, maybe, self.entropy))
                maybe.flush()
        batch = tick.finish()
        starts = {arn: command.start for arn, command in begun.items() if command.start}
        try:
            lost = await starting.commit(self.store, tick, starts)
        except Exception as exc:
            for command, _ in results:
                if not command.done.done():
                    command.done.set_exception(exc)
            raise
        self._stored_definitions.update(d.id for d in batch.definitions)
        if lost:
            for arn, verdict in lost.items():
                if isinstance(verdict, Exception):
                    begun[arn].done.set_exception(verdict)
                else:
                    begun[arn].done.set_result(verdict)
            # Other commands that acted on a start taken out of the batch (a stop, a twin
            # start) acted on nothing: run them again next tick, against what exists.
            again = [
                c for c, _ in results if c.execution_arn in lost and c is not begun[c.execution_arn]
            ]
            self._commands.extend(again)
            results = [(c, r) for c, r in results if c not in again]
        self._attempts.end(set(batch.deleted_work), {r.arn for r in tick.closed})
        for command, result in results:
            if not command.done.done():
                command.done.set_result(result)
        for record in tick.closed:
            self._waiters.resolve(record)
        for dispatch in tick.dispatches:
            if not tick.pending(dispatch.work_id):
                continue  # the attempt ended within the tick (the execution closed)
            self._attempts.dispatch(dispatch)
        for item in claimed:
            if item.kind == "task" and not self._attempts.running(item.id):
                self._redispatch(item, runs.get(item.execution_arn))
        return True

    async def _commands_of(
        self, commands: list[_Command], tick: Tick, runs: dict[str, Run | None]
    ) -> tuple[list[tuple[_Command, ExecutionRecord | None]], dict[str, _Command]]:
        """Apply the tick's commands in order; returns their results and the starts begun.

        A start is taken to be new, and the commit finds out otherwise, unless something
        else in this tick concerns its name (a twin start, a stop, a task outcome, due
        work): then the store is asked first, so that they all see the same run.
        """
        results: list[tuple[_Command, ExecutionRecord | None]] = []
        begun: dict[str, _Command] = {}
        for command in commands:
            arn = command.execution_arn
            start = command.start
            if start is None:
                run = runs[arn]
                assert command.action is not None
                results.append((command, self._guarded(run, partial(command.action, run, tick))))
                continue
            if arn in runs:
                known = runs[arn]
                if known is not None:
                    existing: ExecutionRecord | None = known.record
                else:
                    existing = await self.store.get_execution(arn)
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
            begun[arn] = command
            action = partial(
                starting.begin,
                run,
                tick,
                start.definition,
                start.timeout_seconds,
                self.settings.max_duration_seconds,
            )
            results.append((command, self._guarded(run, action)))
        return results, begun

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

    async def _hold(
        self, commands: list[_Command], outcomes: list[Outcome]
    ) -> tuple[list[_Command], list[Outcome]]:
        """Hold the executions the tick's commands and outcomes change; those another node
        holds right now wait for a later tick, in their order."""
        wanted = [c.execution_arn for c in commands if c.start is None]
        wanted.extend(o.execution_arn for o in outcomes)
        if not wanted:
            return commands, outcomes
        held = await self.store.lock_executions(wanted)
        if len(held) == len(set(wanted)):
            return commands, outcomes
        later = [c for c in commands if c.start is None and c.execution_arn not in held]
        self._commands[:0] = later
        self._attempts.outcomes[:0] = [o for o in outcomes if o.execution_arn not in held]
        return (
            [c for c in commands if c.start is not None or c.execution_arn in held],
            [o for o in outcomes if o.execution_arn in held],
        )

    def _apply_outcomes(
        self, outcomes: list[Outcome], tick: Tick, runs: dict[str, Run | None]
    ) -> None:
        for outcome in outcomes:
            run = runs[outcome.execution_arn]
            if outcome.keep:
                self._job_submitted(outcome, tick, run)
                continue
            self._attempts.release(outcome.work_id)
            tick.delete_work(outcome.work_id)
            if run is None or outcome.frame_id not in run.frames:
                continue
            frame = run.frames[outcome.frame_id]
            self._guarded(
                run,
                partial(tasks.outcome, run, frame, outcome.attempt, outcome.outcome, self.entropy),
            )

    def _job_submitted(self, outcome: Outcome, tick: Tick, run: Run | None) -> None:
        """Record a job's TaskSubmitted; its task item notes it, so that the attempt, run
        again after a restart, resumes waiting without recording it twice."""
        lease = self._attempts.lease(outcome.work_id)
        frame = run.frames.get(outcome.frame_id) if run is not None else None
        if run is None or frame is None or lease is None:
            return
        assert isinstance(outcome.outcome, TaskSubmitted)
        output = outcome.outcome.output
        if self._guarded(run, partial(tasks.submitted, run, frame, outcome.attempt, output)):
            return
        if run.closed or tasks.current(run, frame, outcome.attempt) is None:
            return
        payload = orjson.loads(lease.payload)
        payload["submitted"] = True
        item = replace(lease, payload=orjson.dumps(payload).decode())
        self._attempts.keep(tick.add_work(item))

    def _redispatch(self, item: WorkRecord, run: Run | None) -> None:
        """Start again a task attempt whose earlier run was lost (crash, expired lease)."""
        if run is None or item.frame_id not in run.frames:
            return
        frame = run.frames[item.frame_id]
        if frame.attempt != work.attempt_of(item):
            return
        dispatch = tasks.redispatch(run, frame, item)
        if dispatch is not None:
            self._attempts.dispatch(dispatch)

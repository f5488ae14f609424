"""Executions: start (Standard durable, Express in memory), stop, describe, list, history."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

import orjson

from statewise import arns
from statewise.asl.limits import MAX_PAYLOAD_BYTES
from statewise.engine import deleting
from statewise.engine.scheduler import Engine
from statewise.errors import (
    ExecutionDoesNotExist,
    InvalidArn,
    InvalidExecutionInput,
    StateMachineDeleting,
    StateMachineTypeNotSupported,
)
from statewise.services.machines import Machines
from statewise.services.names import check_name
from statewise.store.base import ExecutionRecord, ExecutionStatus, StateMachineRecord, Store

logger = logging.getLogger(__name__)

# Express executions may run at most five minutes.
EXPRESS_MAX_SECONDS = 300
# Running executions of a machine being deleted are marked and awaited this many at a time.
DELETION_PAGE = 100


def check_input(text: str) -> None:
    """InvalidExecutionInput for text that is not JSON or too large (IO-6, Q-1)."""
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidExecutionInput(
            f"Invalid State Machine Execution Input: 'The input exceeds the maximum size of "
            f"{MAX_PAYLOAD_BYTES} bytes'"
        )
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc}'") from None


def parse_execution_arn(arn: str) -> tuple[str, str]:
    """(state machine name, execution name) of a Standard execution ARN.

    Raises:
        InvalidArn: not an execution ARN, or an Express one (ARN-4).
    """
    parsed = arns.parse(arn)
    if parsed is None or parsed.service != "states":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    parts = parsed.resource.split(":")
    if parts[0] == "express":
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
    if parts[0] != "execution" or len(parts) != 3 or not parts[1] or not parts[2]:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {parts[0]}'")
    return parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class Started:
    """A started execution, and for Express the record it finished with (sync only)."""

    execution: ExecutionRecord


class Executions:
    """Execution operations over the durable and the Express engines."""

    def __init__(self, store: Store, machines: Machines, standard: Engine, express: Engine) -> None:
        self.store = store
        self.machines = machines
        self.standard = standard
        self.express = express
        # Machines turn DELETING on their own, but only we can end their executions.
        machines.deletions = self
        # The deletion in progress per state machine ARN, in this process.
        self._deletions: dict[str, asyncio.Task[None]] = {}

    async def start(
        self,
        state_machine_arn: str,
        *,
        name: str | None,
        input_text: str | None,
        trace_header: str | None = None,
        sync: bool = False,
    ) -> ExecutionRecord:
        """StartExecution / StartSyncExecution (API-16, API-17)."""
        target = await self.machines.resolve(state_machine_arn)
        machine = target.machine
        if machine.status == "DELETING":
            raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
        if sync and machine.type != "EXPRESS":
            raise StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        name = name if name is not None else str(uuid.uuid4())
        check_name(name)
        text = "{}" if input_text is None else input_text
        check_input(text)
        version_arn = target.version.arn if target.version is not None else None
        alias_arn = target.alias.arn if target.alias is not None else None
        if machine.type == "EXPRESS":
            return await self._start_express(
                target.definition, machine.arn, name, text, sync, target.role_arn, trace_header
            )
        return await self.standard.start_execution(
            state_machine_arn=machine.arn,
            name=name,
            definition=target.definition,
            input_text=text,
            role_arn=target.role_arn,
            version_arn=version_arn,
            alias_arn=alias_arn,
            trace_header=trace_header,
        )

    async def _start_express(
        self,
        definition: str,
        machine_arn: str,
        name: str,
        text: str,
        sync: bool,
        role_arn: str,
        trace_header: str | None,
    ) -> ExecutionRecord:
        # Express executions run in memory and at most once (TYPE-2, TYPE-3); each gets
        # a unique ARN, so starting the same name twice runs twice.
        run_id = str(uuid.uuid4())
        parsed = arns.parse(machine_arn)
        assert parsed is not None
        record = await self.express.start_execution(
            state_machine_arn=machine_arn,
            name=name,
            arn=arns.express_execution(
                arns.resource_name(machine_arn), name, run_id, parsed.region, parsed.account
            ),
            definition=definition,
            input_text=text,
            role_arn=role_arn,
            timeout_seconds=EXPRESS_MAX_SECONDS,
            trace_header=trace_header,
        )
        if not sync:
            return record
        return await self.express.wait_for(record.arn)

    # --- DeleteStateMachine's DELETING phase (API-4) --------------------------------------

    async def proceed(self, machine: StateMachineRecord) -> bool:
        """Delete a DELETING machine none of whose executions runs (True); otherwise make
        sure a deletion is under way in this process (False).

        Called on every read of a DELETING machine, so a deletion a restart interrupted
        resumes the first time anyone looks at the machine.
        """
        counts = await self.store.count_executions(machine.arn)
        if not counts.get(ExecutionStatus.RUNNING):
            await self.store.delete_state_machine(machine.arn)
            return True
        task = self._deletions.get(machine.arn)
        if task is None or task.done():
            task = asyncio.create_task(self._delete(machine.arn), name=f"delete {machine.arn}")
            self._deletions[machine.arn] = task
        return False

    async def _delete(self, machine_arn: str) -> None:
        """Mark every running execution to end at its next transition, wait until none
        runs, then delete the machine."""
        try:
            # Every execution first: one still unmarked would go on making transitions
            # while the others are awaited.
            token = None
            while True:
                page = await self.store.list_executions(
                    machine_arn,
                    status=ExecutionStatus.RUNNING,
                    limit=DELETION_PAGE,
                    token=token,
                )
                await self._mark(page.executions)
                token = page.next_token
                if token is None:
                    break
            while True:
                page = await self.store.list_executions(
                    machine_arn, status=ExecutionStatus.RUNNING, limit=DELETION_PAGE
                )
                if not page.executions:
                    break
                # Marked again: a start that passed its status check just before the
                # machine turned DELETING may have committed since.
                await self._mark(page.executions)
                await asyncio.gather(*(self.standard.wait_for(r.arn) for r in page.executions))
            await self.store.delete_state_machine(machine_arn)
            self.machines.forget(machine_arn)
        except Exception:  # the next read of the machine starts it again
            logger.exception("deleting %s failed", machine_arn)
        finally:
            if self._deletions.get(machine_arn) is asyncio.current_task():
                del self._deletions[machine_arn]

    async def _mark(self, records: list[ExecutionRecord]) -> None:
        # Submitted together, so one scheduler tick commits them all.
        await asyncio.gather(
            *(self.standard.act(r.arn, deleting.mark) for r in records if r.error is None)
        )

    async def resume_deletions(self) -> int:
        """Carry on every deletion a restart interrupted (at start-up, before the first
        read of each machine would); returns how many machines are still DELETING."""
        waiting = 0
        token = None
        while True:
            page = await self.store.list_state_machines(limit=100, token=token)
            for machine in page.items:
                if machine.status == "DELETING" and not await self.proceed(machine):
                    waiting += 1
            token = page.next_token
            if token is None:
                return waiting

    async def close(self) -> None:
        """Stop the deletions in progress (they resume at the next read of their machine)."""
        tasks = list(self._deletions.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._deletions.clear()

    async def describe(self, arn: str) -> ExecutionRecord:
        """DescribeExecution (API-18)."""
        parse_execution_arn(arn)
        record = await self.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        return record

    async def stop(self, arn: str, *, error: str | None, cause: str | None) -> ExecutionRecord:
        """StopExecution (API-19)."""
        await self.describe(arn)
        return await self.standard.stop_execution(arn, error=error, cause=cause)

    async def definition_of(self, record: ExecutionRecord) -> str:
        """The definition an execution runs (DescribeStateMachineForExecution, API-6)."""
        text = await self.store.get_definition(record.definition_id)
        return text or "{}"

    async def wait_for(self, arn: str) -> ExecutionRecord:
        """Wait for a Standard or Express execution to close (nested ``.sync`` tasks)."""
        engine = self.express if ":express:" in arn else self.standard
        return await engine.wait_for(arn)

    async def wait(self, arn: str, timeout: float | None = None) -> ExecutionRecord:
        """Wait for a Standard execution to close (tests, tools)."""
        return await asyncio.wait_for(self.standard.wait_for(arn), timeout)


def is_running(record: ExecutionRecord) -> bool:
    return record.status is ExecutionStatus.RUNNING

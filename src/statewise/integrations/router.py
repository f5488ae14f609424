"""The task runner the engines use: picks a runner by the Task's Resource (ASL-TASK-7)."""

from __future__ import annotations

from statewise.engine.ports import (
    TaskFailed,
    TaskOutcome,
    TaskRequest,
    TaskRunner,
    TaskSubmitted,
    TaskSucceeded,
)
from statewise.engine.resources import Pattern, Resource, ResourceKind, parse_resource


class TaskRouter:
    """Routes each Task to the runner of its kind; ``.waitForTaskToken`` on any of them.

    Args:
        lambdas: Lambda functions, legacy ARNs and ``lambda:invoke`` alike.
        activities: activity ARNs.
        nested: ``states:startExecution`` in all its patterns.
        services: the other optimized integrations (``sqs:sendMessage``, ...).
        sdk: ``aws-sdk:<service>:<action>``.
        http: ``http:invoke``.

    Under ``.waitForTaskToken`` a call that succeeds has only handed out its token: the
    router answers :class:`TaskSubmitted` with the call's result (INT-3), and the task's
    outcome is whatever SendTaskSuccess/SendTaskFailure later says.
    """

    def __init__(
        self,
        *,
        lambdas: TaskRunner,
        activities: TaskRunner | None = None,
        nested: TaskRunner | None = None,
        services: TaskRunner | None = None,
        sdk: TaskRunner | None = None,
        http: TaskRunner | None = None,
    ) -> None:
        self.lambdas = lambdas
        self.activities = activities
        self.nested = nested
        self.services = services
        self.sdk = sdk
        self.http = http

    def pick(self, resource: Resource) -> TaskRunner | None:
        """The runner of a parsed Resource, or None when nothing here runs it."""
        match resource.kind:
            case ResourceKind.LAMBDA:
                return self.lambdas
            case ResourceKind.ACTIVITY:
                return self.activities
            case ResourceKind.SDK:
                return self.sdk
        match resource.resource_type:
            case "lambda":
                return self.lambdas
            case "states" if resource.resource.startswith("startExecution"):
                return self.nested
            case "http":
                return self.http
            case "unknown":
                return None
        return self.services

    async def run(self, request: TaskRequest) -> TaskOutcome:
        resource = parse_resource(request.resource)
        runner = self.pick(resource)
        if runner is None:
            return TaskFailed(
                "States.Runtime", f"The resource '{request.resource}' is not supported here."
            )
        outcome = await runner.run(request)
        if resource.pattern is Pattern.CALLBACK and isinstance(outcome, TaskSucceeded):
            return TaskSubmitted(outcome.output)
        return outcome

    async def cancel(self, request: TaskRequest) -> None:
        """Best-effort cancel of an attempt the engine stopped waiting for (INT-2)."""
        runner = self.pick(parse_resource(request.resource))
        cancel = getattr(runner, "cancel", None)
        if cancel is not None:
            await cancel(request)

"""A synchronous walk over a machine's decisions, for testing the ASL core end to end.

The real engine persists every decision; this walk only chains them in memory so tests can
check whole-workflow data flow without an engine. Variables follow VAR-4/VAR-7: a state's
assignments apply after it, and each branch or iteration writes its own scope (a ChainMap
over the enclosing one), so it reads outer variables and its siblings never see its own.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from statewise.asl import evaluate
from statewise.asl.decisions import (
    Advance,
    Caught,
    EvaluationFailed,
    Fail,
    Invoke,
    Retry,
    RunBranches,
    RunIterations,
    Wait,
)
from statewise.asl.entropy import SeededEntropy
from statewise.asl.errors import Failure
from statewise.asl.model import AnyState, MapState, ParallelState, StateMachine, TaskState
from statewise.asl.parse import load


class TaskError(Exception):
    """Raised by a test task function to fail the task with an error name and cause."""

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(error)
        self.failure = Failure(error, cause)


@dataclass
class Outcome:
    output: Any = None
    failure: Failure | None = None
    visited: list[str] = field(default_factory=list)
    waits: list[Any] = field(default_factory=list)
    retries: list[float] = field(default_factory=list)
    # Every assignment made, as (state, assigned), and the EvaluationFailed events (QL-8).
    assigned: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    evaluations: list[EvaluationFailed] = field(default_factory=list)
    # The top-level scope's variables at the end.
    variables: dict[str, Any] = field(default_factory=dict)


# The runner's clock for $now()/$millis(): 2026-01-01T00:00:00Z.
NOW = 1_767_225_600.0


Tasks = dict[str, Callable[[Any], Any]]


def run(
    definition: str | dict[str, Any] | StateMachine,
    input: Any = None,
    tasks: Tasks | None = None,
    variables: dict[str, Any] | None = None,
) -> Outcome:
    machine = definition if isinstance(definition, StateMachine) else load(definition)
    outcome = Outcome()
    top: dict[str, Any] = dict(variables or {})
    context = {
        "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e", "Name": "e"},
        "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:m"},
    }
    _walk(
        machine.start_at,
        machine.states,
        {} if input is None else input,
        tasks or {},
        outcome,
        context,
        top,
    )
    outcome.variables = top
    return outcome


def _walk(
    start: str,
    states: dict[str, AnyState],
    value: Any,
    tasks: Tasks,
    outcome: Outcome,
    context: dict[str, Any],
    variables: MutableMapping[str, Any],
) -> None:
    name: str | None = start
    while name is not None:
        state = states[name]
        outcome.visited.append(name)
        env = evaluate.Env(
            context={**context, "State": {"Name": name}},
            variables=variables,
            entropy=SeededEntropy(1),
            now=NOW,
        )
        decision = evaluate.enter(state, value, env)
        counts: tuple[int, ...] = ()
        while True:
            evaluation = getattr(decision, "evaluation", None)
            if evaluation is not None:
                outcome.evaluations.append(evaluation)
            assigned = getattr(decision, "assigned", None)
            if assigned is not None:
                outcome.assigned.append((state.name, assigned))
                variables.update(assigned)
            match decision:
                case Advance(output=output, next=nxt):
                    value, name = output, nxt
                    outcome.output = value
                    break
                case Caught(output=output, next=nxt):
                    value, name = output, nxt
                    break
                case Fail(failure=failure):
                    outcome.failure = failure
                    return
                case Wait(output=output, next=nxt, seconds=s, timestamp=t):
                    outcome.waits.append(s if s is not None else t)
                    value, name = output, nxt
                    outcome.output = value
                    break
                case Retry(delay_seconds=delay, counts=new_counts):
                    outcome.retries.append(delay)
                    counts = new_counts
                    decision = evaluate.enter(state, value, env, counts)
                case Invoke(resource=resource, payload=payload):
                    assert isinstance(state, TaskState)
                    try:
                        result = tasks[resource](payload)
                    except TaskError as exc:
                        decision = evaluate.fail(state, value, exc.failure, env, counts)
                        continue
                    decision = evaluate.complete(state, value, result, env, counts)
                case RunBranches(input=branch_input):
                    assert isinstance(state, ParallelState)
                    decision = _fan_out(
                        state,
                        value,
                        [(b.start_at, b.states, branch_input) for b in state.branches],
                        tasks,
                        outcome,
                        context,
                        variables,
                        env,
                        counts,
                    )
                case RunIterations(inputs=inputs):
                    assert isinstance(state, MapState)
                    p = state.processor
                    decision = _fan_out(
                        state,
                        value,
                        [(p.start_at, p.states, item) for item in inputs],
                        tasks,
                        outcome,
                        context,
                        variables,
                        env,
                        counts,
                    )
                case _:
                    raise AssertionError(decision)


def _fan_out(
    state: ParallelState | MapState,
    raw: Any,
    scopes: list[tuple[str, dict[str, AnyState], Any]],
    tasks: Tasks,
    outcome: Outcome,
    context: dict[str, Any],
    variables: MutableMapping[str, Any],
    env: evaluate.Env,
    counts: tuple[int, ...],
) -> Any:
    results = []
    for start, states, branch_input in scopes:
        inner = Outcome(
            visited=outcome.visited,
            waits=outcome.waits,
            retries=outcome.retries,
            assigned=outcome.assigned,
            evaluations=outcome.evaluations,
        )
        # A distributed Map's iterations do not see the parent's variables (VAR-7).
        outer = {} if isinstance(state, MapState) and state.distributed else variables
        _walk(start, states, branch_input, tasks, inner, context, ChainMap({}, outer))
        if inner.failure is not None:
            return evaluate.fail(state, raw, inner.failure, env, counts)
        results.append(inner.output)
    return evaluate.complete(state, raw, results, env, counts)

"""An execution's history as steps on its graph: who ran where, with what outcome.

Events are attributed by their ``previousEventId`` chain (HIST-2): each scope (the machine,
a Parallel branch, a Map iteration) chains its own events, so following the chain tells
which visit of which state an event belongs to even while Map iterations run concurrently.
A :class:`Analysis` is fed events in id order and can be fed more later, so polling a
running execution costs only its new events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from statewise.store.base import EventRecord, ExecutionStatus

_JOINS = frozenset(
    {"ParallelStateSucceeded", "ParallelStateFailed", "MapStateSucceeded", "MapStateFailed"}
)
_STARTS = frozenset({"ParallelStateStarted", "MapStateStarted"})
_SCHEDULED = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
_SUCCEEDED = frozenset({"TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded"})
_OPAQUE = _SCHEDULED | _SUCCEEDED | {"TaskStarted", "LambdaFunctionStarted", "ActivityStarted"}
_ITERATION_STATUS = {
    "MapIterationStarted": "running",
    "MapIterationSucceeded": "succeeded",
    "MapIterationFailed": "failed",
    "MapIterationAborted": "aborted",
}
# Longest cause kept in a step summary; the detail endpoint has the whole text.
MAX_SUMMARY_CAUSE = 500
# Visit ids listed per state in the graph view (the detail endpoint serves any visit).
MAX_VISITS = 100


def _is_failure(event_type: str) -> bool:
    return event_type.endswith(("Failed", "TimedOut", "StartFailed", "SubmitFailed")) and (
        event_type.startswith(("Task", "LambdaFunction", "Activity"))
    )


@dataclass(slots=True, eq=False)
class Step:
    """One visit of one state. ``id`` is its ``...StateEntered`` event id."""

    id: int
    name: str
    type: str
    parent: Step | None
    index: int | None
    previous: Step | None
    entered: float
    exited: float | None = None
    exited_event: int | None = None
    scheduled_event: int | None = None
    attempts: int = 0
    # Created on first use: most steps never fail and are not Maps, and a 25,000-event
    # history makes 12,500 steps, so empty containers per step would cost real time.
    failures: list[tuple[str | None, str | None]] | None = None
    failed_last: bool = False
    joined: bool = False
    error: str | None = None
    cause: str | None = None
    length: int | None = None
    iterations: dict[int, str] | None = None

    def climb(self, name: str | None = None, *, open_join: bool = False) -> Step | None:
        """This step or its nearest ancestor with ``name`` (or an unjoined Parallel/Map)."""
        step: Step | None = self
        while step is not None:
            if open_join:
                if step.type in ("Parallel", "Map") and not step.joined and step.exited is None:
                    return step
            elif step.name == name:
                return step
            step = step.parent
        return None


class Analysis:
    """Steps of one execution, built from its events in id order.

    ``owners`` maps each state name to its enclosing Parallel/Map (or None) and branch
    index, from :func:`statewise.ui.graph.scope_owners`; state names are unique across a
    valid definition, which is what lets a name find its scope.
    """

    def __init__(self, owners: dict[str, tuple[str | None, int | None, str]]) -> None:
        self.owners = owners
        self.steps: list[Step] = []
        self.last_id = 0
        self._step_of: dict[int, Step | None] = {}
        self._iteration_index: dict[int, int] = {}
        self.sealed = False
        # The graph view of a sealed analysis never changes, so it is computed once.
        self.sealed_view: dict[str, Any] | None = None

    def feed(self, events: list[EventRecord]) -> None:
        """Attribute events with ids above ``last_id`` (earlier ones are ignored)."""
        for event in events:
            if event.id <= self.last_id:
                continue
            self.last_id = event.id
            self._step_of[event.id] = self._attribute(event)

    def seal(self) -> None:
        """Forget the per-event index once the execution closed: no event will follow."""
        self._step_of.clear()
        self._iteration_index.clear()
        self.sealed = True

    def _attribute(self, event: EventRecord) -> Step | None:
        kind = event.type
        before = self._step_of.get(event.previous_event_id)
        if kind in _OPAQUE:
            # Only their position in the chain matters; their payloads need no parsing.
            if before is not None:
                if kind in _SCHEDULED:
                    before.attempts += 1
                    before.scheduled_event = event.id
                    before.failed_last = False
                elif kind in _SUCCEEDED:
                    # A retry that succeeded: earlier failures stay listed, not as its error.
                    before.failed_last = False
                    before.error = before.cause = None
            return before
        details: dict[str, Any] = orjson.loads(event.details) if event.details else {}
        if kind.endswith("StateEntered"):
            return self._enter(event, details, before)
        if kind.endswith("StateExited"):
            step = before.climb(details.get("name")) if before else None
            if step is not None:
                step.exited, step.exited_event = event.timestamp, event.id
            return step
        if kind in _ITERATION_STATUS:
            step = before.climb(details.get("name")) if before else None
            if step is not None and isinstance(details.get("index"), int):
                if step.iterations is None:
                    step.iterations = {}
                step.iterations[details["index"]] = _ITERATION_STATUS[kind]
                if kind == "MapIterationStarted":
                    self._iteration_index[event.id] = details["index"]
            return step
        if kind in _JOINS:
            step = before.climb(open_join=True) if before else None
            if step is not None:
                step.joined = True
                step.failed_last = kind.endswith("Failed")
            return step
        if kind.endswith("StateAborted"):
            # Chained to the failure that caused it, not to the aborted scope.
            return None
        step = before
        if step is None:
            return None
        if kind in _STARTS:
            step.attempts += 1
            step.joined = step.failed_last = False
            step.error = step.cause = None
            if isinstance(details.get("length"), int):
                step.length = details["length"]
        elif _is_failure(kind):
            step.failed_last = True
            if step.failures is None:
                step.failures = []
            step.failures.append((details.get("error"), details.get("cause")))
            step.error, step.cause = details.get("error"), details.get("cause")
        elif kind.startswith("Execution") and step.exited is None and step.error is None:
            # ExecutionFailed chains to the state that failed the execution (a Fail state,
            # or an uncaught error); that state carries the error.
            step.error, step.cause = details.get("error"), details.get("cause")
        return step

    def _enter(self, event: EventRecord, details: dict[str, Any], before: Step | None) -> Step:
        name = str(details.get("name", ""))
        owner, branch, state_type = self.owners.get(name, (None, None, ""))
        parent = before.climb(owner) if before is not None and owner is not None else None
        index = branch
        previous = None
        if before is not None:
            sibling: Step | None = before
            while sibling is not None and sibling is not parent and sibling.parent is not parent:
                sibling = sibling.parent
            if sibling is not None and sibling is not parent:
                previous = sibling
        if parent is not None and parent.type == "Map":
            if event.previous_event_id in self._iteration_index:
                index = self._iteration_index[event.previous_event_id]
            else:
                index = previous.index if previous is not None else 0
        kind = event.type.removesuffix("StateEntered") or state_type
        step = Step(
            id=event.id,
            name=name,
            type=kind,
            parent=parent,
            index=index,
            previous=previous,
            entered=event.timestamp,
        )
        self.steps.append(step)
        return step


def status_of(step: Step, execution: ExecutionStatus) -> str:
    """succeeded, caught, failed, running or aborted."""
    if step.exited is not None:
        return "caught" if step.failed_last else "succeeded"
    if step.type == "Fail" or step.failed_last or step.error is not None:
        return "failed"
    parent = step.parent
    if parent is not None:
        iterations = parent.iterations or {}
        cut_off = parent.joined or iterations.get(step.index or 0) == "aborted"
        if cut_off or status_of(parent, execution) not in ("running",):
            return "aborted"
    if execution is ExecutionStatus.RUNNING:
        return "running"
    return "failed" if execution is ExecutionStatus.TIMED_OUT else "aborted"


def _clip(text: str | None, width: int = MAX_SUMMARY_CAUSE) -> str | None:
    return text if text is None or len(text) <= width else text[: width - 1] + "…"


def summary(step: Step, execution: ExecutionStatus, now: float) -> dict[str, Any]:
    """A step without its payloads, for the graph overlay and the step list."""
    end = step.exited if step.exited is not None else None
    running = step.exited is None and execution is ExecutionStatus.RUNNING
    item: dict[str, Any] = {
        "id": step.id,
        "name": step.name,
        "type": step.type,
        "status": status_of(step, execution),
        "parent": step.parent.id if step.parent else None,
        "index": step.index,
        "entered": step.entered,
        "exited": end,
        "duration": (end if end is not None else now if running else None),
        "attempts": step.attempts,
        "retries": max(0, step.attempts - 1),
    }
    if item["duration"] is not None:
        item["duration"] = round(item["duration"] - step.entered, 6)
    if step.error is not None or step.cause is not None:
        item["error"], item["cause"] = step.error, _clip(step.cause)
    if step.type == "Map":
        item["length"] = step.length
        ended = execution is not ExecutionStatus.RUNNING
        item["iterations"] = [
            {"index": i, "status": "aborted" if ended and s == "running" else s}
            for i, s in sorted((step.iterations or {}).items())
        ]
    return item


def view(analysis: Analysis, execution: ExecutionStatus, now: float) -> dict[str, Any]:
    """What the graph shows: per scope instance, the last visit of each state.

    A scope instance is the machine, one visit of a Parallel, or one iteration of a Map
    visit, keyed by (parent step, index). Only instances under shown visits are included,
    so a loop of 12,500 visits sends one step per state, with the ids of the last
    ``MAX_VISITS`` visits for the visit picker. ``transitions`` are the
    ``[parent, index, from, to]`` moves made in each included instance (``from`` null for
    the scope's start), from every visit, so every edge taken is drawn as taken.
    """
    latest: dict[tuple[int | None, int | None, str], Step] = {}
    visits: dict[tuple[int | None, int | None, str], list[int]] = {}
    moves: set[tuple[int | None, int | None, str | None, str]] = set()
    for step in analysis.steps:
        scope = (step.parent.id if step.parent else None, step.index if step.parent else None)
        key = (*scope, step.name)
        latest[key] = step
        visits.setdefault(key, []).append(step.id)
        moves.add((*scope, step.previous.name if step.previous else None, step.name))
    shown: set[int] = set()
    steps = []
    for key, step in latest.items():  # parents come before children: ids ascend
        # A parent's key was first seen before its children's, so it was decided first.
        if step.parent is not None and step.parent.id not in shown:
            continue
        shown.add(step.id)
        item = summary(step, execution, now)
        ids = visits[key]
        item["visits"] = ids[-MAX_VISITS:]
        item["visitCount"] = len(ids)
        steps.append(item)
    parents = {None} | shown
    transitions = [list(move) for move in sorted(moves, key=str) if move[0] in parents]
    return {"steps": steps, "transitions": transitions}


def find(analysis: Analysis, step_id: int) -> Step | None:
    """A step by id (its entered event id)."""
    low, high = 0, len(analysis.steps)
    while low < high:  # steps are appended in event order, so ids ascend
        middle = (low + high) // 2
        if analysis.steps[middle].id < step_id:
            low = middle + 1
        else:
            high = middle
    if low < len(analysis.steps) and analysis.steps[low].id == step_id:
        return analysis.steps[low]
    return None

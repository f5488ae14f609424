"""Reading execution histories the way the acceptance tests compare them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson

# Events that close a Parallel or Map: they follow the last branch/iteration to finish, but
# belong to the scope of the state itself.
_JOINS = frozenset(
    {"ParallelStateSucceeded", "ParallelStateFailed", "MapStateSucceeded", "MapStateFailed"}
)

Scope = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    timestamp: float
    previous: int
    details: str | None


def by_scope(events: list[Event]) -> dict[Scope, list[Event]]:
    """Split a history into its scopes: the top level, each Parallel branch, each Map
    iteration, nested as the definition nests them.

    Each event belongs to the scope of the event its ``previousEventId`` points at
    (HIST-2), except where a scope opens or closes: a branch opens with the state entered
    after ``ParallelStateStarted`` (named by that state, unique in the machine), an
    iteration with ``MapIterationStarted`` (named by the Map state and the index), and a
    join event (``MapStateSucceeded``...) follows the last child to finish but belongs to
    the scope holding the Parallel or Map.
    """
    index = {event.id: event for event in events}
    scope_of: dict[int, Scope] = {}
    scopes: dict[Scope, list[Event]] = defaultdict(list)
    for event in events:
        previous = index.get(event.previous)
        if previous is None:
            scope: Scope = ("root",)
        elif event.type == "MapIterationStarted":
            details = orjson.loads(event.details or "{}")
            holder = scope_of[previous.id]
            if previous.type != "MapStateStarted":
                holder = holder[:-1]  # started when a sibling iteration finished
            scope = (*holder, ("iteration", details["name"], details["index"]))
        elif previous.type == "ParallelStateStarted" and event.type.endswith("StateEntered"):
            name = orjson.loads(event.details or "{}")["name"]
            scope = (*scope_of[previous.id], ("branch", name))
        elif event.type in _JOINS and previous.type not in ("MapStateStarted",):
            scope = scope_of[previous.id][:-1]
        else:
            scope = scope_of[previous.id]
        scope_of[event.id] = scope
        scopes[scope].append(event)
    return dict(scopes)


def shape(events: list[Event]) -> list[tuple[str, str | None]]:
    """What must be identical to the clean run: each event's type and details."""
    return [(event.type, event.details) for event in events]

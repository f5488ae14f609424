"""Reading execution histories the way the acceptance tests compare them."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
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


def check_history(
    events: list[Event],
    expected: list[Event],
    where: str,
    *,
    same: Callable[[list[Event]], list[tuple[str, str | None]]] = shape,
    timed: Callable[[Event, Event], bool] = lambda a, b: True,
    ignore: frozenset[str] = frozenset(),
) -> None:
    """Assert that a stored history is whole and is the reference run's, scope by scope.

    Ids are 1..n without gap, every previousEventId points back, timestamps never go back;
    split into scopes (see ``by_scope``), each scope holds exactly the reference's events
    (``same`` says what of them must be equal), and between consecutive events of a scope
    at least as much real time passed as virtual time did in the reference, for every pair
    that ``timed`` keeps: no Wait or retry backoff was cut short. Events of the types in
    ``ignore`` take part in the first checks only (outside timing may add or drop them).
    """
    assert [e.id for e in events] == list(range(1, len(events) + 1)), where
    assert all(0 <= e.previous < e.id for e in events), where
    assert all(a.timestamp <= b.timestamp for a, b in itertools.pairwise(events)), where
    if ignore:
        events = [e for e in events if e.type not in ignore]
        expected = [e for e in expected if e.type not in ignore]
    assert len(events) == len(expected), where
    actual_scopes, expected_scopes = by_scope(events), by_scope(expected)
    assert actual_scopes.keys() == expected_scopes.keys(), where
    for scope, wanted in expected_scopes.items():
        actual = actual_scopes[scope]
        assert same(actual) == same(wanted), f"{where} scope {scope}"
        pairs = zip(itertools.pairwise(actual), itertools.pairwise(wanted), strict=True)
        for (a, b), (x, y) in pairs:
            if timed(a, b):
                assert b.timestamp - a.timestamp >= (y.timestamp - x.timestamp) - 1e-6, (
                    f"{where} scope {scope}: {b.type} came early after {a.type}"
                )

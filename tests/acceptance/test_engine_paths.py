"""The engine's fast paths give exactly what the plain ones did, and starts stay idempotent
when the name check moves into the commit (API-16)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewise import arns
from statewise.asl.model import StateType
from statewise.asl.parse import load
from statewise.clock import ManualClock
from statewise.engine import history
from statewise.engine.local import LocalTaskRunner
from statewise.engine.records import event_factory, new_event
from statewise.engine.run import Compiled
from statewise.engine.scheduler import Engine
from statewise.errors import ExecutionAlreadyExists
from statewise.store.base import Batch, DuplicateExecution, EventRecord, ExecutionStatus, Store
from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore
from statewise.testing import LocalEnvironment, all_events

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(name=st.text(min_size=1, max_size=80), value=json_values)
def test_state_event_details_text_is_what_orjson_writes(name: str, value: Any) -> None:
    """HIST-3/4: the prebuilt details text equals the serialised details object, byte for
    byte, whatever the state name and value (quotes, backslashes, unicode, controls)."""
    text = orjson.dumps(value).decode()
    quoted = history.quoted(text)
    events = history.state_events(StateType.PASS, name)
    entered_type, entered = history.entered(StateType.PASS, name, text)
    exited_type, exited = history.exited(StateType.PASS, name, text)
    assert (events.entered, events.exited) == (entered_type, exited_type)
    assert events.entered_details(quoted) == orjson.dumps(entered).decode()
    assert events.exited_details(quoted) == orjson.dumps(exited).decode()
    succeeded = orjson.dumps(history.execution_succeeded(text)).decode()
    assert history.succeeded_details(quoted) == succeeded


def test_event_factory_makes_the_same_record() -> None:
    made = new_event("arn:x", 7, "PassStateEntered", 1.5, 6, '{"a":1}')
    plain = EventRecord(
        execution_arn="arn:x",
        id=7,
        type="PassStateEntered",
        timestamp=1.5,
        previous_event_id=6,
        details='{"a":1}',
    )
    assert made == plain and type(made) is EventRecord
    assert new_event("arn:x", 1, "T", 0.0, 0, None).details is None


def test_event_factory_falls_back_when_the_record_changes() -> None:
    """A record that is not exactly the slotted six-field dataclass (one more field, a
    __post_init__) is built by its own constructor, so nothing is left unset."""

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Wider:
        execution_arn: str
        id: int
        type: str
        timestamp: float
        previous_event_id: int
        details: str | None = None
        extra: int = 0

    made = event_factory(Wider)("a", 1, "T", 0.0, 0, None)  # type: ignore[arg-type]
    assert made == Wider(execution_arn="a", id=1, type="T", timestamp=0.0, previous_event_id=0)

    seen = []

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Checked:
        execution_arn: str
        id: int
        type: str
        timestamp: float
        previous_event_id: int
        details: str | None = None

        def __post_init__(self) -> None:
            seen.append(self.id)

    event_factory(Checked)("a", 3, "T", 0.0, 0, None)  # type: ignore[arg-type]
    assert seen == [3]


CONTEXT_MACHINE: dict[str, Any] = {
    "StartAt": "Plain",
    "States": {
        "Plain": {"Type": "Pass", "ResultPath": "$.plain", "Result": 1, "Next": "Named"},
        "Named": {
            "Type": "Pass",
            "Parameters": {
                "execution.$": "$$.Execution.Name",
                "state.$": "$$.State.Name",
                "greeting.$": "States.Format('hi {}', $$.Execution.Name)",
            },
            "ResultPath": "$.named",
            "Next": "Pick",
        },
        "Pick": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$$.Execution.Name", "StringEquals": "ctx", "Next": "Each"},
            ],
            "Default": "Plain",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "StartAt": "Inner",
                "States": {"Inner": {"Type": "Pass", "End": True}},
            },
            "ResultPath": "$.each",
            "Next": "Last",
        },
        "Last": {"Type": "Pass", "End": True},
    },
}


def test_only_states_written_with_context_paths_get_a_context_object() -> None:
    text = orjson.dumps(CONTEXT_MACHINE).decode()
    compiled = Compiled.of(load(text), text)
    assert compiled.needs_context == {"Named", "Pick", "Each"}
    # Without the text, or for a state it cannot find, every state gets one.
    assert Compiled.of(load(text)).needs_context == set(compiled.states)


async def test_context_values_are_right_with_and_without_context_objects() -> None:
    async with LocalEnvironment() as env:
        result = await env.run(CONTEXT_MACHINE, {"items": ["a", "b"]}, name="ctx")
    assert result.status == "SUCCEEDED"
    assert result.output == {
        "items": ["a", "b"],
        "plain": 1,
        "named": {"execution": "ctx", "state": "Named", "greeting": "hi ctx"},
        "each": [{"index": 0, "value": "a"}, {"index": 1, "value": "b"}],
    }


@pytest.fixture(params=["memory", "sqlite"])
async def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    await store.open()
    yield store
    await store.close()


class CountingStore:
    """A store that counts the commits refused for a duplicate execution."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.duplicates = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def commit(self, batch: Batch) -> None:
        try:
            await self.store.commit(batch)
        except DuplicateExecution:
            self.duplicates += 1
            raise


WAIT = orjson.dumps(
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
).decode()
MACHINE = arns.state_machine("race")


async def test_start_that_loses_the_race_for_its_name_is_answered_as_api_16(
    shared_store: Store,
) -> None:
    """Two engines on one store (two nodes): the second start of a name is found by the
    commit, the running twin is returned, a different input or a finished execution is
    ExecutionAlreadyExists, and the other starts of the same tick are committed."""
    clock = ManualClock()
    counting = CountingStore(shared_store)
    first = Engine(shared_store, LocalTaskRunner({}), clock=clock)
    second = Engine(counting, LocalTaskRunner({}), clock=clock)  # type: ignore[arg-type]
    original = await first.start_execution(
        state_machine_arn=MACHINE, name="n", definition=WAIT, input_text='{"a": 1}'
    )
    clock.advance(5)
    twin = await second.start_execution(
        state_machine_arn=MACHINE, name="n", definition=WAIT, input_text='{"a":1}'
    )
    assert (twin.arn, twin.start_date) == (original.arn, original.start_date)
    with pytest.raises(ExecutionAlreadyExists):
        await second.start_execution(
            state_machine_arn=MACHINE, name="n", definition=WAIT, input_text='{"a": 2}'
        )

    # One tick of three starts, one of them taken: the commit fails once, the other two
    # are committed by the second try.
    await second.start()
    try:
        submitted = [
            asyncio.create_task(
                second.start_execution(
                    state_machine_arn=MACHINE, name=name, definition=WAIT, input_text='{"a": 1}'
                )
            )
            for name in ("m1", "n", "m2")
        ]
        records = await asyncio.gather(*submitted)
    finally:
        await second.stop()
    assert counting.duplicates == 1 + 2  # the two single starts above, then this tick
    assert records[1].start_date == original.start_date
    for record in (records[0], records[2]):
        stored = await shared_store.get_execution(record.arn)
        assert stored is not None and stored.status is ExecutionStatus.RUNNING
    # The taken name's history was not touched by the starts that lost.
    assert [e.type for e in await all_events(shared_store, original.arn)] == [
        "ExecutionStarted",
        "WaitStateEntered",
    ]

    clock.advance(60)
    await first.run_until_idle()
    with pytest.raises(ExecutionAlreadyExists):
        await second.start_execution(
            state_machine_arn=MACHINE, name="n", definition=WAIT, input_text='{"a": 1}'
        )

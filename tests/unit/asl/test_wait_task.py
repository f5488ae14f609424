"""Wait and Task decisions: due times, timeouts and their runtime errors (ASL-WAIT, ASL-TASK)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from statewise.asl import evaluate
from statewise.asl.decisions import Fail, Invoke, Wait
from statewise.asl.errors import StatesError
from statewise.asl.model import DEFAULT_TASK_TIMEOUT_SECONDS
from statewise.asl.parse import load

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def decide(body: dict[str, Any], input: Any) -> Any:
    machine = load({"StartAt": "S", "States": {"S": {**body, "End": True}}})
    return evaluate.enter(machine.states["S"], input, evaluate.Env(context={}))


@pytest.mark.parametrize(
    ("body", "input", "seconds", "timestamp"),
    [
        pytest.param({"Seconds": 10}, {}, 10, None, id="ASL-WAIT-1-seconds"),
        pytest.param({"Seconds": 0}, {}, 0, None, id="seconds-zero"),
        pytest.param({"SecondsPath": "$.s"}, {"s": 30}, 30, None, id="seconds-path"),
        pytest.param({"SecondsPath": "$.s"}, {"s": 30.0}, 30, None, id="seconds-path-whole-float"),
        pytest.param(
            {"Timestamp": "2030-01-02T03:04:05Z"},
            {},
            None,
            datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
            id="timestamp",
        ),
        pytest.param(
            {"TimestampPath": "$.t"},
            {"t": "2030-01-02T05:04:05.5+02:00"},
            None,
            datetime(2030, 1, 2, 3, 4, 5, 500000, tzinfo=UTC),
            id="ASL-WAIT-3-timestamp-path-offset-fraction",
        ),
    ],
)
def test_wait_decisions(body: dict[str, Any], input: Any, seconds: Any, timestamp: Any) -> None:
    decision = decide({"Type": "Wait", **body}, input)
    assert isinstance(decision, Wait)
    assert decision.seconds == seconds
    assert decision.timestamp == timestamp
    assert decision.output == input and decision.next is None


@pytest.mark.parametrize(
    ("body", "input", "message"),
    [
        pytest.param(
            {"SecondsPath": "$.x"},
            {},
            "The SecondsPath parameter does not reference an input value: $.x",
            id="ASL-WAIT-2-missing",
        ),
        pytest.param(
            {"SecondsPath": "$.x"},
            {"x": -1},
            "The SecondsPath parameter references a negative value: $.x == -1",
            id="ASL-WAIT-2-negative",
        ),
        pytest.param(
            {"SecondsPath": "$.x"},
            {"x": 1.5},
            "The SecondsPath parameter cannot be parsed as a long value: $.x == 1.5",
            id="ASL-WAIT-2-fraction",
        ),
        pytest.param(
            {"SecondsPath": "$.x"},
            {"x": "10"},
            "cannot be parsed as a long value",
            id="ASL-WAIT-2-string",
        ),
        pytest.param(
            {"SecondsPath": "$.x"},
            {"x": 2**31},
            "Wait state delay is too long.",
            id="ASL-WAIT-4-too-long",
        ),
        pytest.param(
            {"TimestampPath": "$.t"},
            {"t": "2030-01-02 03:04:05Z"},
            "does not reference a valid ISO-8601 extended offset date-time format string: "
            '$.t == "2030-01-02 03:04:05Z"',
            id="ASL-WAIT-3-space-instead-of-T",
        ),
        pytest.param(
            {"TimestampPath": "$.t"},
            {"t": "2030-01-02T03:04:05"},
            "does not reference a valid ISO-8601",
            id="ASL-WAIT-3-no-zone",
        ),
    ],
)
def test_wait_runtime_errors(body: dict[str, Any], input: Any, message: str) -> None:
    decision = decide({"Type": "Wait", **body}, input)
    assert isinstance(decision, Fail)
    assert decision.failure.error == StatesError.RUNTIME
    assert message in (decision.failure.cause or "")


def test_task_timeout_defaults_to_aws_value() -> None:
    """ASL-TASK-2: AWS's default task timeout is 99,999,999 s, not the spec's 60."""
    decision = decide({"Type": "Task", "Resource": FN}, {"a": 1})
    assert isinstance(decision, Invoke)
    assert decision.timeout_seconds == DEFAULT_TASK_TIMEOUT_SECONDS == 99_999_999
    assert decision.timeout_set is False
    assert decision.heartbeat_seconds is None
    assert decision.payload == {"a": 1}


def test_task_timeout_paths() -> None:
    """ASL-TASK-4: TimeoutSecondsPath/HeartbeatSecondsPath read positive integers."""
    decision = decide(
        {
            "Type": "Task",
            "Resource": FN,
            "TimeoutSecondsPath": "$.t",
            "HeartbeatSecondsPath": "$.h",
        },
        {"t": 60, "h": 10},
    )
    assert isinstance(decision, Invoke)
    assert (decision.timeout_seconds, decision.timeout_set, decision.heartbeat_seconds) == (
        60,
        True,
        10,
    )


@pytest.mark.parametrize(
    "input",
    [
        pytest.param({}, id="missing"),
        pytest.param({"t": 0}, id="zero"),
        pytest.param({"t": "60"}, id="string"),
        pytest.param({"t": True}, id="boolean"),
    ],
)
def test_task_timeout_path_errors(input: Any) -> None:
    """ASL-TASK-4: an unusable TimeoutSecondsPath value is States.Runtime."""
    decision = decide({"Type": "Task", "Resource": FN, "TimeoutSecondsPath": "$.t"}, input)
    assert isinstance(decision, Fail)
    assert decision.failure.error == StatesError.RUNTIME


def test_task_credentials_template() -> None:
    """ASL-TASK-6: Credentials.RoleArn may come from a path."""
    decision = decide(
        {"Type": "Task", "Resource": FN, "Credentials": {"RoleArn.$": "$.role"}},
        {"role": "arn:aws:iam::123456789012:role/r"},
    )
    assert isinstance(decision, Invoke)
    assert decision.credentials == {"RoleArn": "arn:aws:iam::123456789012:role/r"}

"""ErrorEquals matching and retry delays (RETRY-1..RETRY-4, ERR-1..ERR-5)."""

from __future__ import annotations

import pytest

from statewise.asl import retry
from statewise.asl.entropy import SeededEntropy
from statewise.asl.errors import Failure, matches
from statewise.asl.model import Retrier


@pytest.mark.parametrize(
    ("error_equals", "error", "expected"),
    [
        pytest.param(("States.ALL",), "Anything", True, id="ERR-1-all-matches-custom"),
        pytest.param(("States.ALL",), "States.Timeout", True, id="ERR-1-all-matches-timeout"),
        pytest.param(("States.ALL",), "States.Runtime", False, id="ERR-5-runtime-never-matched"),
        pytest.param(("States.ALL",), None, True, id="all-matches-nameless-error"),
        pytest.param(("States.TaskFailed",), "Custom", True, id="ERR-2-taskfailed-wildcard"),
        pytest.param(
            ("States.TaskFailed",), "States.Permissions", True, id="ERR-2-taskfailed-states-error"
        ),
        pytest.param(
            ("States.TaskFailed",), "States.Timeout", False, id="ERR-2-taskfailed-not-timeout"
        ),
        pytest.param(
            ("States.Timeout",),
            "States.HeartbeatTimeout",
            True,
            id="ASL-TASK-3-heartbeat-as-timeout",
        ),
        pytest.param(
            ("States.HeartbeatTimeout",),
            "States.HeartbeatTimeout",
            True,
            id="ERR-4-heartbeat-by-name",
        ),
        pytest.param(("Custom",), "custom", False, id="RETRY-4-case-sensitive"),
        pytest.param(
            ("java.lang.Exception",),
            "java.lang.RuntimeException",
            False,
            id="RETRY-4-no-inheritance",
        ),
        pytest.param(("A", "B"), "B", True, id="any-name-in-list"),
    ],
)
def test_matches(error_equals: tuple[str, ...], error: str | None, expected: bool) -> None:
    assert matches(error_equals, error) is expected


@pytest.mark.parametrize(
    ("retrier", "attempt", "expected"),
    [
        pytest.param(Retrier(error_equals=("E",)), 1, 1.0, id="RETRY-1-defaults-first"),
        pytest.param(Retrier(error_equals=("E",)), 3, 4.0, id="RETRY-2-backoff-2-third"),
        pytest.param(
            Retrier(error_equals=("E",), interval_seconds=3, backoff_rate=1.5),
            3,
            6.75,
            id="RETRY-2-fractional-backoff",
        ),
        pytest.param(
            Retrier(error_equals=("E",), interval_seconds=10, max_delay_seconds=15),
            4,
            15.0,
            id="RETRY-2-max-delay-caps",
        ),
    ],
)
def test_delay(retrier: Retrier, attempt: int, expected: float) -> None:
    assert retry.delay(retrier, attempt, SeededEntropy()) == expected


def test_full_jitter_is_between_zero_and_capped_delay() -> None:
    """RETRY-2: FULL jitter draws uniformly in [0, capped delay) from the injected source."""
    retrier = Retrier(error_equals=("E",), interval_seconds=8, full_jitter=True)
    entropy = SeededEntropy(7)
    delays = [retry.delay(retrier, 2, entropy) for _ in range(200)]
    assert all(0 <= d < 16 for d in delays)
    assert len(set(delays)) > 100
    again = SeededEntropy(7)
    assert [retry.delay(retrier, 2, again) for _ in range(200)] == delays


def test_plan_counts_and_exhaustion() -> None:
    retriers = [
        Retrier(error_equals=("A",), max_attempts=1),
        Retrier(error_equals=("States.ALL",), max_attempts=2, interval_seconds=2),
    ]
    entropy = SeededEntropy()
    first = retry.plan(retriers, (), Failure("A"), entropy)
    assert first == (0, 1.0, (1, 0))
    # RETRY-3: retrier 0 is exhausted for A and does not fall through to States.ALL.
    assert retry.plan(retriers, (1, 0), Failure("A"), entropy) is None
    assert retry.plan(retriers, (1, 0), Failure("B"), entropy) == (1, 2.0, (1, 1))
    assert retry.plan(retriers, (1, 1), Failure("B"), entropy) == (1, 4.0, (1, 2))
    assert retry.plan(retriers, (1, 2), Failure("B"), entropy) is None
    assert retry.plan(retriers, (), Failure("States.Runtime"), entropy) is None

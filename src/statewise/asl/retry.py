"""Retry math: which retrier handles a failure and how long to wait (RETRY-1..RETRY-3)."""

from __future__ import annotations

from collections.abc import Sequence

from statewise.asl.entropy import Entropy
from statewise.asl.errors import Failure, matches
from statewise.asl.model import Retrier


def delay(retrier: Retrier, attempt: int, entropy: Entropy) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    IntervalSeconds x BackoffRate^(attempt-1), capped at MaxDelaySeconds; FULL jitter draws
    uniformly between 0 and the capped value.
    """
    wait = retrier.interval_seconds * retrier.backoff_rate ** (attempt - 1)
    if retrier.max_delay_seconds is not None:
        wait = min(wait, retrier.max_delay_seconds)
    if retrier.full_jitter:
        wait = entropy.random() * wait
    return float(wait)


def plan(
    retriers: Sequence[Retrier],
    counts: Sequence[int],
    failure: Failure,
    entropy: Entropy,
) -> tuple[int, float, tuple[int, ...]] | None:
    """The retry for ``failure``: (retrier index, delay, updated counts), or None.

    The first retrier whose ErrorEquals matches decides; if it has no attempts left the
    failure goes to Catch, never to a later retrier (RETRY-3). ``counts`` holds each
    retrier's attempts so far in this visit to the state.
    """
    current = list(counts) + [0] * (len(retriers) - len(counts))
    for index, retrier in enumerate(retriers):
        if not matches(retrier.error_equals, failure.error):
            continue
        if current[index] >= retrier.max_attempts:
            return None
        current[index] += 1
        return index, delay(retrier, current[index], entropy), tuple(current)
    return None

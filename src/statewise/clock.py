"""Clocks: the system clock and a manual clock for virtual time."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time as epoch seconds; the engine never reads time any other way."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to, so a month-long Wait takes no time."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        # Default start: 2026-01-01T00:00:00Z, a fixed, readable origin for tests.
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        self._now += seconds

    def set(self, moment: float) -> None:
        """Jump forward to ``moment`` (never back)."""
        if moment > self._now:
            self._now = moment

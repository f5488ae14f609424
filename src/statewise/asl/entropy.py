"""Injected randomness: UUIDs and random numbers come from here, never from globals."""

from __future__ import annotations

import random
import uuid
from typing import Protocol


class Entropy(Protocol):
    """The source of randomness the evaluator uses (States.UUID, jitter, MathRandom)."""

    def random(self) -> float:
        """A float in [0, 1)."""
        ...

    def uuid(self) -> str:
        """A random version-4 UUID string."""
        ...


class SystemEntropy:
    """Operating-system randomness, for real executions."""

    def __init__(self) -> None:
        self._rng = random.SystemRandom()

    def random(self) -> float:
        return self._rng.random()

    def uuid(self) -> str:
        return str(uuid.uuid4())


class SeededEntropy:
    """Reproducible randomness, for tests and virtual-time runs."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def random(self) -> float:
        return self._rng.random()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

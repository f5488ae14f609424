"""The Amazon States Language core: parse, validate and evaluate definitions. Pure, no I/O."""

from __future__ import annotations

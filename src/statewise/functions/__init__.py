"""The Lambda-style function runtime: registry, code storage, warm workers, invoke semantics."""

from __future__ import annotations

"""The durable execution engine: applies ASL decisions with their history and work."""

from __future__ import annotations

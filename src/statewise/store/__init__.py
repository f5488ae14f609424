"""Persistence: the Store protocol (base) and its memory, SQLite and PostgreSQL backends."""

from __future__ import annotations

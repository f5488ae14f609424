"""Column lists of the resource tables, shared by the SQL backends.

Each table's columns are its record's fields in declaration order, so a row maps onto the
record by position and both dialects build their statements from the same lists.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter

from statewise.store.base import AliasRecord, StateMachineRecord, VersionRecord

MACHINE_FIELDS = tuple(f.name for f in fields(StateMachineRecord))
VERSION_FIELDS = tuple(f.name for f in fields(VersionRecord))
ALIAS_FIELDS = tuple(f.name for f in fields(AliasRecord))
MACHINE_COLUMNS = ", ".join(MACHINE_FIELDS)
VERSION_COLUMNS = ", ".join(VERSION_FIELDS)
ALIAS_COLUMNS = ", ".join(ALIAS_FIELDS)
MACHINE_ROW = attrgetter(*MACHINE_FIELDS)
VERSION_ROW = attrgetter(*VERSION_FIELDS)
ALIAS_ROW = attrgetter(*ALIAS_FIELDS)
# The keys each listing is ordered by (name; newest version; newest alias).
MACHINE_ORDER = attrgetter("name", "arn")
VERSION_ORDER = attrgetter("version", "arn")
ALIAS_ORDER = attrgetter("creation_date", "arn")

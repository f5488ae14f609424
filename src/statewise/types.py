"""Shared type aliases."""

from __future__ import annotations

from typing import Any, TypeAlias

# JSON values flow through the whole engine. A precise recursive union would force an
# isinstance() narrowing at every access of user data, which the evaluator already does
# where it matters, so the alias stays open.
JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]

"""Shared type aliases."""

from __future__ import annotations

from typing import Any, TypeAlias

import orjson

# JSON values flow through the whole engine. A precise recursive union would force an
# isinstance() narrowing at every access of user data, which the evaluator already does
# where it matters, so the alias stays open.
JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]


def json_text(value: JSON) -> str:
    """``value`` as compact JSON text, as history events and stored rows carry it."""
    return orjson.dumps(value).decode()

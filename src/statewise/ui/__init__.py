"""The web console: server-rendered pages over the same services as the API."""

from __future__ import annotations

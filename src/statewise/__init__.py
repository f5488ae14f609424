"""statewise: durable AWS Step Functions and Lambda compatible workflows, self-hosted."""

from __future__ import annotations

__version__ = "0.1.0"

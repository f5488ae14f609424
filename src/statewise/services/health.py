"""What ``GET /health`` reports: the engine, the store, and every node's work leases."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from statewise.store.base import StoreError

if TYPE_CHECKING:
    from statewise.services import Services


def store_kind(services: Services) -> str:
    """The store's scheme, as in its URL (``sqlite``, ``postgresql``, ``memory``)."""
    scheme = services.settings.store_url.split(":", 1)[0]
    return "postgresql" if scheme.startswith("postgres") else scheme


async def report(services: Services) -> tuple[bool, dict[str, Any]]:
    """Whether the node is healthy, and the report.

    A node is healthy when its engine runs and its store answers. The leases show, per
    node, how many work items it holds and how many of those leases lapsed: a dead node's
    lapsed leases are the work the live nodes take over.
    """
    engine = services.engine
    body: dict[str, Any] = {
        "status": "ok",
        "engine": "running" if engine.running else "stopped",
        "node": engine.settings.owner,
        "tasksInFlight": engine.tasks_in_flight,
    }
    store: dict[str, Any] = {"kind": store_kind(services)}
    started = time.perf_counter()
    try:
        counts = await services.store.lease_counts(services.clock.now())
    except StoreError as exc:
        store.update(reachable=False, error=str(exc))
        body.update(status="unavailable", store=store)
        return False, body
    store.update(reachable=True, latencyMs=round((time.perf_counter() - started) * 1000, 2))
    body["store"] = store
    body["leases"] = {
        "leaseSeconds": engine.settings.lease_seconds,
        "nodes": {
            owner: {"held": held, "lapsed": lapsed}
            for owner, (held, lapsed) in sorted(counts.items())
        },
    }
    healthy = engine.running
    if not healthy:
        body["status"] = "stopped"
    return healthy, body

"""A state machine's executions for the console: filtered by status, searched by name.

The store pages executions newest first by status; a name search is an exact lookup (an
execution's ARN is its machine's plus its name) followed by a bounded scan for names that
contain the text, resumable with the store's own page token, so no request reads more
than ``SCAN_LIMIT`` records however many executions a machine has.
"""

from __future__ import annotations

from dataclasses import dataclass

from statewise.store.base import ExecutionRecord, ExecutionStatus, Store

PAGE_SIZE = 50
SCAN_PAGE = 500
SCAN_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of executions; ``next_token`` continues it, ``scanned`` counts a search."""

    executions: list[ExecutionRecord]
    next_token: str | None
    scanned: int | None = None


async def executions_page(
    store: Store,
    machine_arn: str,
    execution_arn: str,
    *,
    status: ExecutionStatus | None,
    query: str,
    token: str | None,
) -> Listing:
    """Executions of ``machine_arn``; ``execution_arn`` is the ARN ``query`` would have.

    Raises:
        ValueError: ``token`` is not a token the store issued.
    """
    if not query:
        page = await store.list_executions(machine_arn, status=status, limit=PAGE_SIZE, token=token)
        return Listing(page.executions, page.next_token)
    found: list[ExecutionRecord] = []
    if token is None:
        exact = await store.get_execution(execution_arn)
        if exact is not None and exact.state_machine_arn == machine_arn:
            if status is None or exact.status is status:
                found.append(exact)
    needle = query.casefold()
    scanned = 0
    while True:
        page = await store.list_executions(machine_arn, status=status, limit=SCAN_PAGE, token=token)
        scanned += len(page.executions)
        found.extend(
            r for r in page.executions if needle in r.name.casefold() and r.arn != execution_arn
        )
        token = page.next_token
        if token is None or len(found) >= PAGE_SIZE or scanned >= SCAN_LIMIT:
            return Listing(found, token, scanned)

"""Definition checks for JSONata expressions and variable assignments (QL-2, QL-4, VAR-5, VAR-7).

A mixin of the definition walker: ``jsonata_value`` checks every ``{% %}`` string of a field
(``jsonata_check`` gives AWS's codes and texts), ``assign_names`` the variable names of an
Assign block, and ``scoped_assignments`` the rule that a Parallel branch or Map iteration may
not assign a variable its enclosing scopes assign (VAR-7), once the whole machine is walked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from statewise.asl.diagnostics import Code
from statewise.asl.jsonata import is_expression
from statewise.asl.jsonata_check import ALWAYS, WITH_ERROR, WITH_RESULT, check_expression
from statewise.asl.variables import RESERVED

Loc = tuple[str | int, ...]

# The state fields whose strings may be expressions in a JSONata state (QL-2).
EXPRESSION_FIELDS = frozenset(
    (
        "Arguments Output Assign Items ItemSelector TimeoutSeconds HeartbeatSeconds Seconds "
        "Timestamp MaxConcurrency ToleratedFailurePercentage ToleratedFailureCount Error Cause "
        "Credentials"
    ).split()
)
# Those fields of Map parts (ASL-DMAP-3..5).
PART_EXPRESSION_FIELDS = frozenset(
    "Arguments MaxItems MaxItemsPerBatch MaxInputBytesPerBatch BatchInput".split()
)
_RESULT_STATES = frozenset({"Task", "Parallel", "Map"})
MAX_VARIABLE_NAME = 80  # VAR-5
# VAR-5: a letter or underscore, then letters, digits or underscores (Unicode letters too).
_NAME = re.compile(r"[^\W\d]\w*")


def members_for(state_type: str, key: str, *, catcher: bool = False) -> frozenset[str]:
    """The ``$states`` members an expression in ``key`` may read (QL-4)."""
    if catcher:
        return WITH_ERROR
    if key in ("Output", "Assign") and state_type in _RESULT_STATES:
        return WITH_RESULT
    return ALWAYS


def _strings(value: object, loc: Loc) -> Iterator[tuple[str, Loc]]:
    stack: list[tuple[object, Loc]] = [(value, loc)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            yield node, where
        elif isinstance(node, dict):
            stack.extend(reversed([(v, (*where, k)) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(v, (*where, i)) for i, v in enumerate(node)]))


class JsonataChecks:
    """Checks mixed into the definition walker; ``error`` is the walker's."""

    def __init__(self) -> None:
        # (scope location, variable name, where it is assigned) per assignment, and each
        # scope's enclosing scope (None for the machine and for a Distributed Map's
        # processor, which reads no outer variable).
        self.assignments: list[tuple[Loc, str, Loc]] = []
        self.scope_parents: dict[Loc, Loc | None] = {(): None}
        self.scope: Loc = ()

    def error(self, message: str, loc: Loc, code: str = Code.SCHEMA_VALIDATION_FAILED) -> None:
        raise NotImplementedError

    def jsonata_value(self, value: object, loc: Loc, members: frozenset[str]) -> None:
        """Every expression in a field value parses and reads only what exists there."""
        for text, where in _strings(value, loc):
            if not is_expression(text):
                continue
            for problem in check_expression(text, members):
                self.error(problem.message, where, problem.code)

    def jsonata_fields(self, body: dict[str, Any], state_type: str, loc: Loc) -> None:
        """The expression fields of a JSONata state (catchers and rules are checked where
        the walker visits them)."""
        for key, value in body.items():
            if key in EXPRESSION_FIELDS:
                self.jsonata_value(value, (*loc, key), members_for(state_type, key))

    def assign_names(self, value: dict[str, Any], loc: Loc, jsonata: bool) -> None:
        """Variable names (VAR-5) and, for VAR-7, where each is assigned."""
        for key in value:
            name = key if jsonata or not key.endswith(".$") else key[:-2]
            where = (*loc, key)
            if name == RESERVED:
                self.error(f"The variable name '{RESERVED}' is reserved", where)
            elif len(name) > MAX_VARIABLE_NAME or _NAME.fullmatch(name) is None:
                self.error(
                    f"Invalid variable name '{name}': 1-{MAX_VARIABLE_NAME} characters, a "
                    "letter or underscore followed by letters, digits or underscores",
                    where,
                )
            else:
                self.assignments.append((self.scope, name, where))

    def enter_scope(self, loc: Loc, *, isolated: bool) -> Loc:
        """Start walking a nested scope; returns the scope to restore afterwards."""
        outer = self.scope
        self.scope_parents[loc] = None if isolated else outer
        self.scope = loc
        return outer

    def scoped_assignments(self) -> None:
        """VAR-7: an inner scope reads outer variables but may not assign one of them."""
        by_scope: dict[Loc, set[str]] = {}
        for scope, name, _ in self.assignments:
            by_scope.setdefault(scope, set()).add(name)
        for scope, name, where in self.assignments:
            outer = self.scope_parents.get(scope)
            while outer is not None:
                if name in by_scope.get(outer, ()):
                    self.error(
                        f"The variable '{name}' is assigned in an enclosing scope; a Parallel "
                        "branch or Map iteration can read it but not assign it",
                        where,
                    )
                    break
                outer = self.scope_parents.get(outer)

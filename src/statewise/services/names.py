"""AWS's naming rules for state machines, executions, activities and aliases (NAME-1..3)."""

from __future__ import annotations

import re

from statewise.errors import InvalidName

# NAME-1: no whitespace, brackets, wildcards, the listed punctuation, control characters,
# U+FFFE/U+FFFF or lone surrogates.
_FORBIDDEN = re.compile(
    r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]"
)
_ALIAS = re.compile(r"(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]+")


def check_name(name: str) -> None:
    """Raise InvalidName unless ``name`` is 1-80 characters of the allowed set."""
    if not 1 <= len(name) <= 80 or _FORBIDDEN.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")


def check_alias_name(name: str) -> None:
    """Alias names: letters, digits, ``_ - .``, not all digits (NAME-2)."""
    if not 1 <= len(name) <= 80 or not _ALIAS.fullmatch(name):
        raise InvalidName(f"Invalid Name: '{name}'")

"""The runtime's import rules: functions/ sits below services and api; the worker's
bootstrap runs on any Python with only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import statewise.functions

PACKAGE = Path(statewise.functions.__file__).parent
ALLOWED = ("statewise.types", "statewise.errors", "statewise.arns", "statewise.clock")
ALLOWED_PREFIXES = ("statewise.functions", "statewise.config", "statewise.engine.ports")
STDLIB_ONLY = ("bootstrap.py", "protocol.py", "context.py")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == "statewise":
                found.update(f"statewise.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_functions_import_only_leaves_and_engine_ports(path: Path) -> None:
    for name in _imports(path):
        if name.startswith("statewise"):
            assert name in ALLOWED or name.startswith(ALLOWED_PREFIXES), f"{path.name}: {name}"


@pytest.mark.parametrize("name", STDLIB_ONLY)
def test_worker_side_is_stdlib_only(name: str) -> None:
    for module in _imports(PACKAGE / name):
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names or top == "__future__", f"{name}: {module}"

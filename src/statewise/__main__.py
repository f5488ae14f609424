"""``python -m statewise`` runs the command line."""

from __future__ import annotations

from statewise.cli import main

main()

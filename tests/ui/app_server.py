"""A console test server: ``statewise serve``'s app, with Python functions behind its Tasks.

The function runtime is not part of the console; the tests give the engine the in-process
task runner (as ``statewise run --functions`` does) so their workflows have real tasks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from statewise.api.app import create_app
from statewise.config import Settings, parse_access_keys
from statewise.engine.local import LocalTaskRunner
from statewise.services import Services
from tests.ui.workflows import FUNCTIONS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--access-keys", default="")
    args = parser.parse_args()
    settings = Settings(
        port=args.port,
        data_dir=Path(args.data_dir),
        access_keys=parse_access_keys(args.access_keys),
    )
    services = Services(settings, tasks=LocalTaskRunner(FUNCTIONS))
    uvicorn.run(create_app(services), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

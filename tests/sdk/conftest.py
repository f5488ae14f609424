"""The AWS SDKs for JavaScript and Go against a real ``statewise serve``.

Each test runs a small program written with the SDK, unchanged but for the endpoint, and
asserts on the JSON summary it prints. The server checks Signature Version 4 (access keys
set), so the SDKs' signing is exercised too. A missing toolchain or SDK skips locally, with
the reason, and fails under ``CI=true`` (``.ci/run`` installs them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.api.conftest import Server

# AWS's documented example key pair: shaped like real keys, valid nowhere.
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

HERE = Path(__file__).parent


def unavailable(reason: str) -> NoReturn:
    """Skip for a missing tool or package; under CI=true fail, as CI must run every SDK."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sdk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(
        tmp_path_factory.mktemp("sdk-server"),
        extra_env={"STATEWISE_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}"},
    )
    yield running
    running.stop()


def program_env(server: Server) -> dict[str, str]:
    """What the SDK programs read: the endpoint, the keys and a unique name prefix."""
    # The user's own AWS settings (profile, region, endpoint) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        STATEWISE_ENDPOINT=server.url,
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        NAME_PREFIX="sdk-" + uuid.uuid4().hex[:10],
    )
    return env

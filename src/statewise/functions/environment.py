"""The environment a worker process gets: the function's variables plus Lambda's own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from statewise.functions.model import FunctionConfig, is_python

# Lambda's execution PATH; a function may set its own, as on Lambda.
DEFAULT_PATH = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
# Execution environments have the role's credentials; there is no role to assume here, so
# each worker gets placeholder keys: calls back to this server on loopback accept them, and a
# call to real AWS fails as an unknown key rather than finding the server's own credentials.
PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "statewise",
    "AWS_SECRET_ACCESS_KEY": "statewise",
    "AWS_SESSION_TOKEN": "statewise",
}


def log_group(name: str) -> str:
    return f"/aws/lambda/{name}"


def log_stream(version: str, now: float) -> str:
    """``2026/01/01/[$LATEST]<32 hex>``: one stream per worker, as per execution environment."""
    day = datetime.fromtimestamp(now, UTC).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{uuid.uuid4().hex}"


def execution_env(runtime: str) -> str | None:
    """AWS_EXECUTION_ENV: set for managed runtimes, absent on the OS-only ones."""
    if is_python(runtime) or runtime == "go1.x":
        return f"AWS_Lambda_{runtime}"
    return None


def build(
    config: FunctionConfig,
    *,
    region: str,
    task_root: Path,
    runtime_dir: Path,
    stream: str,
    runtime_api: str | None = None,
) -> dict[str, str]:
    """Every variable of one worker; nothing of the server's own environment leaks in."""
    env: dict[str, str] = {"PATH": DEFAULT_PATH, "LANG": "en_US.UTF-8"}
    env["LD_LIBRARY_PATH"] = f"{task_root}:{task_root}/lib:/opt/lib"
    env.update(_user(config.environment))
    env.update(PLACEHOLDER_CREDENTIALS)
    env.update(
        {
            "_HANDLER": config.handler,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group(config.name),
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir),
            "TZ": ":UTC",
        }
    )
    executing = execution_env(config.runtime)
    if executing:
        env["AWS_EXECUTION_ENV"] = executing
    if runtime_api:
        env["AWS_LAMBDA_RUNTIME_API"] = runtime_api
    return env


def _user(variables: Mapping[str, str]) -> dict[str, str]:
    # Environment variables cannot hold NUL; the registry's checks keep reserved keys out.
    return {k: v for k, v in variables.items() if "\0" not in k + v}

"""Server settings: flags, ``STATEWISE_*`` variables and AWS Step Functions Local's names.

Precedence: a command-line flag, then a ``STATEWISE_*`` variable, then the variable AWS Step
Functions Local reads (so a team's existing ``env.txt`` keeps working), then the default.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from statewise import arns

# Step Functions Local's settings (LOCAL-2) and what they map to.
LOCAL_ENDPOINT_VARIABLES = (
    "LAMBDA_ENDPOINT",
    "SQS_ENDPOINT",
    "SNS_ENDPOINT",
    "DYNAMODB_ENDPOINT",
    "STEP_FUNCTIONS_ENDPOINT",
    "BATCH_ENDPOINT",
    "ECS_ENDPOINT",
    "GLUE_ENDPOINT",
    "SAGE_MAKER_ENDPOINT",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything ``statewise serve`` is configured with.

    Attributes:
        host, port: where the HTTP server listens (loopback by default).
        data_dir: where the SQLite store and function code live.
        store: a store URL (``sqlite:///path``, ``memory://``); None means SQLite in
            ``data_dir``.
        region, account: used in every ARN the server creates.
        wait_time_scale: multiplies Wait durations (Step Functions Local's WAIT_TIME_SCALE);
            1.0 is real time, 0 makes waits immediate.
        endpoints: service endpoints for integrations, by Step Functions Local's names.
        access_keys: access key id -> secret, required when listening beyond loopback.
        aws_endpoint: where AWS service integrations are sent when ``endpoints`` names no
            endpoint for the service (None: AWS itself, through the usual endpoint rules).
        http_connections: a JSON file mapping EventBridge connection ARNs (or names) to the
            credentials HTTP Tasks use for them.
        task_token_key: the hex HMAC key of task tokens; None keeps one in the store.
        node_id: this node's name in work leases; None is ``HOST:PORT``. Nodes sharing a
            store need distinct names, each kept across its restarts so that a restarted
            node takes its own leases back at once.
        lease_seconds: how long a node's claim on due work lasts unless renewed: after a
            node dies, the others take its running tasks over once this has passed.
        pool_size: the most connections a PostgreSQL store opens.
    """

    host: str = "127.0.0.1"
    port: int = 8083
    data_dir: Path = field(default_factory=lambda: Path("data"))
    store: str | None = None
    region: str = arns.DEFAULT_REGION
    account: str = arns.DEFAULT_ACCOUNT
    wait_time_scale: float = 1.0
    endpoints: Mapping[str, str] = field(default_factory=dict)
    access_keys: Mapping[str, str] = field(default_factory=dict)
    aws_endpoint: str | None = None
    http_connections: Path | None = None
    task_token_key: str | None = None
    node_id: str | None = None
    lease_seconds: float = 30.0
    pool_size: int = 10

    @property
    def node(self) -> str:
        """This node's name in work leases."""
        return self.node_id or f"{socket.gethostname()}:{self.port}"

    @property
    def loopback(self) -> bool:
        """Whether the server is reachable only from this machine."""
        return self.host in LOOPBACK_HOSTS

    @property
    def store_url(self) -> str:
        """The store to open: the configured URL or SQLite in the data directory."""
        return self.store or f"sqlite:///{(self.data_dir / 'statewise.db').resolve()}"


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """``KEY=VALUE`` lines (Docker's ``--env-file`` format); ``#`` starts a comment."""
    values: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def parse_access_keys(text: str | None) -> dict[str, str]:
    """``ID:SECRET[,ID:SECRET...]`` into a mapping."""
    keys: dict[str, str] = {}
    for pair in (text or "").split(","):
        if ":" in pair:
            key_id, _, secret = pair.strip().partition(":")
            keys[key_id] = secret
    return keys


def from_environment(
    env: Mapping[str, str],
    *,
    host: str | None = None,
    port: int | None = None,
    data_dir: str | None = None,
    store: str | None = None,
    region: str | None = None,
    account: str | None = None,
    wait_time_scale: float | None = None,
    access_keys: str | None = None,
    aws_endpoint: str | None = None,
    http_connections: str | None = None,
    node_id: str | None = None,
    lease_seconds: float | None = None,
    pool_size: int | None = None,
) -> Settings:
    """Settings from explicit values (flags) over environment variables over defaults."""
    scale = wait_time_scale
    if scale is None:
        text = _first(env, "STATEWISE_WAIT_TIME_SCALE", "WAIT_TIME_SCALE")
        scale = float(text) if text else 1.0
    port_text = _first(env, "STATEWISE_PORT")
    return Settings(
        host=host or _first(env, "STATEWISE_HOST") or "127.0.0.1",
        port=port or (int(port_text) if port_text else 8083),
        data_dir=Path(data_dir or _first(env, "STATEWISE_DATA_DIR") or "data"),
        store=store or _first(env, "STATEWISE_STORE"),
        region=region
        or _first(env, "STATEWISE_REGION", "AWS_DEFAULT_REGION", "AWS_REGION")
        or arns.DEFAULT_REGION,
        account=account
        or _first(env, "STATEWISE_ACCOUNT", "AWS_ACCOUNT_ID")
        or arns.DEFAULT_ACCOUNT,
        wait_time_scale=scale,
        endpoints={name: env[name] for name in LOCAL_ENDPOINT_VARIABLES if env.get(name)},
        access_keys=parse_access_keys(access_keys or _first(env, "STATEWISE_ACCESS_KEYS")),
        aws_endpoint=aws_endpoint or _first(env, "STATEWISE_AWS_ENDPOINT"),
        http_connections=_path(http_connections or _first(env, "STATEWISE_HTTP_CONNECTIONS")),
        task_token_key=_first(env, "STATEWISE_TASK_TOKEN_KEY"),
        node_id=node_id or _first(env, "STATEWISE_NODE_ID"),
        lease_seconds=_number(lease_seconds, env, "STATEWISE_LEASE_SECONDS", 30.0),
        pool_size=int(_number(pool_size, env, "STATEWISE_POOL_SIZE", 10)),
    )


def _number(value: float | None, env: Mapping[str, str], name: str, default: float) -> float:
    """A flag's number, else the variable's, else the default; ValueError names the
    variable when it is not a positive number."""
    if value is None:
        text = env.get(name)
        if not text:
            return default
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{name}={text!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None

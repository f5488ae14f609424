"""The ``statewise`` command line."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

import click
import orjson

from statewise import __version__
from statewise.asl import validate as asl_validate
from statewise.asl.diagnostics import DefinitionError


@click.group()
@click.version_option(__version__, prog_name="statewise")
def main() -> None:
    """statewise: AWS Step Functions and Lambda compatible workflows, self-hosted."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--express", is_flag=True, help="Validate as an EXPRESS state machine.")
def validate(files: tuple[str, ...], express: bool) -> None:
    """Check state machine definitions as CreateStateMachine does.

    Prints every problem as FILE: CODE at POINTER: MESSAGE and exits 1, or prints
    FILE: OK for each valid file and exits 0.
    """
    failed = False
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"{name}: cannot read: {exc}", err=True)
            failed = True
            continue
        diagnostics = asl_validate.validate_text(text, express=express)
        if not diagnostics:
            click.echo(f"{name}: OK")
            continue
        failed = True
        for d in diagnostics:
            click.echo(f"{name}: {d.code} at {d.location}: {d.message}")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: 8083].")
@click.option("--data-dir", default=None, help="Directory for the SQLite store [default: data].")
@click.option(
    "--store",
    default=None,
    help="Store URL: sqlite:///PATH, postgresql://USER@HOST/DB or memory://.",
)
@click.option("--region", default=None, help="Region in ARNs [default: us-east-1].")
@click.option("--account", default=None, help="Account in ARNs [default: 123456789012].")
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False),
    help="KEY=VALUE settings, as AWS Step Functions Local's --env-file.",
)
@click.option("--wait-time-scale", type=float, default=None, help="Scale Wait durations.")
@click.option(
    "--aws-endpoint",
    default=None,
    help="Endpoint URL for AWS service integrations (e.g. a local emulator).",
)
@click.option(
    "--http-connections",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="JSON file: EventBridge connection ARN -> credentials for HTTP Tasks.",
)
@click.option(
    "--node-id",
    default=None,
    help="This node's name in work leases; distinct per node sharing a store [HOST:PORT].",
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0.5),
    default=None,
    help="How soon other nodes take over a dead node's running work [default: 30].",
)
@click.option(
    "--pool-size",
    type=click.IntRange(min=2),
    default=None,
    help="Most PostgreSQL connections this node opens [default: 10].",
)
@click.option("--log-level", default="info", show_default=True)
def serve(
    host: str | None,
    port: int | None,
    data_dir: str | None,
    store: str | None,
    region: str | None,
    account: str | None,
    env_file: str | None,
    wait_time_scale: float | None,
    aws_endpoint: str | None,
    http_connections: str | None,
    node_id: str | None,
    lease_seconds: float | None,
    pool_size: int | None,
    log_level: str,
) -> None:
    """Serve the Step Functions API (and the rest) on one HTTP port."""
    import os

    import uvicorn

    from statewise.api.app import create_app
    from statewise.config import from_environment, read_env_file
    from statewise.services import Services

    env = dict(os.environ)
    if env_file:
        env = {**read_env_file(env_file), **env}
    try:
        settings = from_environment(
            env,
            host=host,
            port=port,
            data_dir=data_dir,
            store=store,
            region=region,
            account=account,
            wait_time_scale=wait_time_scale,
            aws_endpoint=aws_endpoint,
            http_connections=http_connections,
            node_id=node_id,
            lease_seconds=lease_seconds,
            pool_size=pool_size,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not settings.loopback and not settings.access_keys:
        raise click.UsageError(
            f"--host {settings.host} is reachable from other machines: set "
            "STATEWISE_ACCESS_KEYS=ID:SECRET so requests must be signed with those keys."
        )
    app = create_app(Services(settings))
    click.echo(f"statewise {__version__} on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        # A line per request costs ~80 us of the event loop, a quarter of a StartExecution.
        access_log=log_level == "debug",
        timeout_graceful_shutdown=10,
    )


def _load_functions(path: str) -> dict[str, Any]:
    """Every public top-level function of a Python file, by name."""
    spec = importlib.util.spec_from_file_location("statewise_user_functions", path)
    if spec is None or spec.loader is None:
        raise click.BadParameter(f"cannot import {path}", param_hint="--functions")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(Path(path).resolve().parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def _duration(seconds: float | None) -> str:
    """A step's duration for people: 12ms, 3.2s, 30d 0h 0m."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


def _short(value: Any, width: int = 60) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@click.argument("definition", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--input", "input_text", default="{}", show_default=True, help="Execution input JSON."
)
@click.option(
    "--functions",
    type=click.Path(exists=True, dir_okay=False),
    help="A Python file whose functions run the Task states that name them.",
)
@click.option("--real-time", is_flag=True, help="Wait in real time instead of virtual time.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def run(
    definition: str, input_text: str, functions: str | None, real_time: bool, as_json: bool
) -> None:
    """Run one execution of DEFINITION in process and print every step.

    Virtual time is the default: a 30-day Wait finishes at once, and the history shows
    the virtual times. Exits 0 when the execution succeeds, 1 otherwise.
    """
    from rich.console import Console
    from rich.table import Table

    from statewise.testing import LocalEnvironment

    text = Path(definition).read_text(encoding="utf-8")
    try:
        execution_input = orjson.loads(input_text)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--input") from exc
    table_functions = _load_functions(functions) if functions else {}

    async def go() -> Any:
        async with LocalEnvironment(table_functions, real_time=real_time) as env:
            return await env.run(text, execution_input)

    try:
        result = asyncio.run(go())
    except DefinitionError as exc:
        for d in exc.diagnostics:
            click.echo(f"{definition}: {d.code} at {d.location}: {d.message}", err=True)
        sys.exit(1)
    record = result.execution
    if as_json:
        summary = {
            "status": result.status,
            "output": result.output,
            "error": record.error,
            "cause": record.cause,
            "steps": [
                {
                    "name": s.name,
                    "type": s.type,
                    "input": s.input,
                    "output": s.output,
                    "durationSeconds": s.duration,
                    "status": s.status,
                }
                for s in result.steps()
            ],
        }
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        console = Console()
        table = Table(title=f"{Path(definition).name}: {result.status}")
        for column in ("#", "state", "type", "input", "output", "duration", "status"):
            table.add_column(column)
        for number, s in enumerate(result.steps(), 1):
            duration = _duration(s.duration)
            output = "" if s.output is None and s.status != "SUCCEEDED" else _short(s.output)
            table.add_row(str(number), s.name, s.type, _short(s.input), output, duration, s.status)
        console.print(table)
        if result.status == "SUCCEEDED":
            console.print(f"output: {orjson.dumps(result.output).decode()}")
        else:
            console.print(f"error: {record.error}  cause: {record.cause}")
    sys.exit(0 if result.status == "SUCCEEDED" else 1)


if __name__ == "__main__":  # pragma: no cover
    main()

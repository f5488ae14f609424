"""Lambda functions shared by every node of one database, through boto3 against two real
servers on one PostgreSQL schema, each with a data directory of its own."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from statewise import arns
from statewise.functions.registry import Registry
from tests.contract.conftest import POSTGRES_URL, fresh_schema

from .conftest import ROLE, Server
from .lambda_helpers import PYTHON, create_python, invoke_json, lambda_client, zipped
from .test_executions import machine, wait_done

# The task root is the node's unpacked copy of the package: it names the node that ran it.
WHERE = "import os\ndef handler(event, context):\n    return {'v': 1, 'root': os.getcwd()}\n"
# How long a change may take to reach the other node (it polls twice a second).
PROPAGATION_SECONDS = 5.0


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    with fresh_schema() as schema:
        store = f"{POSTGRES_URL}?search_path={schema}"
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        node_a = Server(tmp_path / "a", {"STATEWISE_STORE": store})
        try:
            node_b = Server(tmp_path / "b", {"STATEWISE_STORE": store})
        except BaseException:
            node_a.stop()
            raise
        try:
            yield node_a, node_b
        finally:
            node_a.stop()
            node_b.stop()


def eventually(check: Callable[[], bool]) -> bool:
    """Whether ``check`` holds within the propagation bound."""
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_a_function_created_on_one_node_runs_on_the_other(
    nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    node_a, node_b = nodes
    lambda_a, lambda_b = lambda_client(node_a), lambda_client(node_b)
    created = create_python(lambda_a, "shared-fn", WHERE, Tags={"team": "a"})
    # At once: B reads the store for the function a control-plane call names, and an
    # Invoke of a function B does not know yet looks there before answering.
    got = lambda_b.get_function(FunctionName="shared-fn")
    assert got["Configuration"]["RevisionId"] == created["RevisionId"]
    assert got["Tags"] == {"team": "a"}
    result = invoke_json(lambda_b, "shared-fn")
    assert result["v"] == 1
    # B unpacked the package from the store into its own data directory.
    assert result["root"].startswith(str(tmp_path / "b"))
    assert [f["FunctionName"] for f in lambda_b.list_functions()["Functions"]] == ["shared-fn"]

    # A change on B reaches A's warm workers: A retires them and runs the new code.
    assert invoke_json(lambda_a, "shared-fn")["v"] == 1
    new_code = WHERE.replace("'v': 1", "'v': 2")
    lambda_b.update_function_code(FunctionName="shared-fn", ZipFile=zipped({"app.py": new_code}))
    assert eventually(lambda: invoke_json(lambda_a, "shared-fn")["v"] == 2)
    # Versions and aliases published on one node resolve on the other.
    version = lambda_a.publish_version(FunctionName="shared-fn")["Version"]
    lambda_a.create_alias(FunctionName="shared-fn", Name="live", FunctionVersion=version)
    assert invoke_json(lambda_b, "shared-fn", Qualifier="live")["v"] == 2

    # A state machine's Task calls it wherever the engine runs the step.
    sfn_a = node_a.client()
    task = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": arns.function("shared-fn"), "End": True}},
    }
    arn = machine(sfn_a, "calls-shared", json.dumps(task))
    executions = [
        sfn_a.start_execution(stateMachineArn=arn, input="{}")["executionArn"] for _ in range(6)
    ]
    for execution in executions:
        done = wait_done(node_b.client(), execution, timeout=30)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"])["v"] == 2

    # Deleted on A: gone on B, for reads at once and for Invoke within the bound.
    lambda_a.delete_function(FunctionName="shared-fn")
    with pytest.raises(ClientError) as missing:
        lambda_b.get_function(FunctionName="shared-fn")
    assert _code(missing.value) == "ResourceNotFoundException"

    def invoke_fails() -> bool:
        try:
            lambda_b.invoke(FunctionName="shared-fn", Payload=b"{}")
        except ClientError as error:
            return _code(error) == "ResourceNotFoundException"
        return False

    assert eventually(invoke_fails)


def test_concurrent_creates_of_one_name_one_wins(nodes: tuple[Server, Server]) -> None:
    """CreateFunction of one name on both nodes at once: one function, and the other
    caller gets ResourceConflictException, as on Lambda."""
    clients = [lambda_client(node) for node in nodes]
    outcomes: list[Any] = [None, None]
    start = threading.Barrier(2)

    def create(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = create_python(
                clients[index], "raced", WHERE.replace("'v': 1", f"'v': {index + 10}")
            )
        except ClientError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=create, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [o for o in outcomes if isinstance(o, ClientError)]
    created = [o for o in outcomes if isinstance(o, dict)]
    assert len(created) == 1 and len(errors) == 1, outcomes
    assert _code(errors[0]) == "ResourceConflictException"
    winner = outcomes.index(created[0])
    for client in clients:
        assert invoke_json(client, "raced")["v"] == winner + 10
        configuration = client.get_function_configuration(FunctionName="raced")
        assert configuration["RevisionId"] == created[0]["RevisionId"]


def test_a_stale_revision_id_is_refused_on_the_other_node(nodes: tuple[Server, Server]) -> None:
    """A RevisionId read on one node, then overtaken by a change on the other, gets
    PreconditionFailedException; without a RevisionId the change applies."""
    node_a, node_b = nodes
    lambda_a, lambda_b = lambda_client(node_a), lambda_client(node_b)
    first = create_python(lambda_a, "revised", WHERE)
    lambda_b.update_function_configuration(FunctionName="revised", Timeout=9)
    with pytest.raises(ClientError) as stale:
        lambda_a.update_function_configuration(
            FunctionName="revised", MemorySize=256, RevisionId=first["RevisionId"]
        )
    assert _code(stale.value) == "PreconditionFailedException"
    lambda_a.update_function_configuration(FunctionName="revised", MemorySize=256)
    merged = lambda_b.get_function_configuration(FunctionName="revised")
    assert (merged["Timeout"], merged["MemorySize"]) == (9, 256)


def test_a_data_directory_functions_are_imported_once(tmp_path: Path) -> None:
    """A data directory from before functions moved into the store (``functions/meta``
    JSON files): its functions are there after the upgrade, and one deleted later does not
    come back."""
    legacy = Registry(tmp_path / "functions", now=time.time)
    package = legacy.code.put(zipped({"app.py": WHERE}))
    settings = {"runtime": PYTHON, "handler": "app.handler", "role": ROLE}
    legacy.create(name="old-fn", code=package, settings=settings, tags={"from": "files"})
    legacy.publish("old-fn")
    server = Server(tmp_path)
    try:
        client = lambda_client(server)
        got = client.get_function(FunctionName="old-fn", Qualifier="1")
        assert got["Configuration"]["CodeSha256"] == package.sha256
        assert client.list_tags(Resource=arns.function("old-fn"))["Tags"] == {"from": "files"}
        assert invoke_json(client, "old-fn")["v"] == 1
        client.delete_function(FunctionName="old-fn")
    finally:
        server.stop()
    assert not (tmp_path / "functions" / "meta").exists()
    assert (tmp_path / "functions" / "meta.imported" / "old-fn.json").exists()
    again = Server(tmp_path)
    try:
        assert lambda_client(again).list_functions()["Functions"] == []
    finally:
        again.stop()

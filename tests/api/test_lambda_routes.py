"""The Lambda API's routing table, read from botocore's model (no server needed)."""

from __future__ import annotations

import pytest

from statewise.api import lambda_api
from statewise.api.lambda_handlers import HANDLERS


def test_every_operation_is_under_a_served_prefix() -> None:
    for name in HANDLERS:
        uri = lambda_api.service_model().operation_model(name).http["requestUri"]
        assert uri.startswith(lambda_api.PREFIXES), name


@pytest.mark.parametrize(
    ("method", "path", "operation", "labels"),
    [
        pytest.param("POST", "/2015-03-31/functions", "CreateFunction", {}, id="create"),
        pytest.param("GET", "/2015-03-31/functions/", "ListFunctions", {}, id="list-slash"),
        pytest.param(
            "POST",
            "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
            "Invoke",
            {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"},
            id="invoke-arn",
        ),
        pytest.param(
            "DELETE",
            "/2015-03-31/functions/f/aliases/live",
            "DeleteAlias",
            {"FunctionName": "f", "Name": "live"},
            id="alias",
        ),
        pytest.param(
            "GET",
            "/2019-09-30/functions/f/concurrency",
            "GetFunctionConcurrency",
            {"FunctionName": "f"},
            id="concurrency",
        ),
        pytest.param("GET", "/2016-08-19/account-settings/", "GetAccountSettings", {}, id="acct"),
    ],
)
def test_paths_find_their_operation(
    method: str, path: str, operation: str, labels: dict[str, str]
) -> None:
    found = lambda_api.find(method, path)
    assert found is not None
    assert (found[0].name, found[1]) == (operation, labels)


def test_unknown_paths() -> None:
    assert lambda_api.find("PATCH", "/2015-03-31/functions/f") is None
    assert lambda_api.find("GET", "/2015-03-31/functions/f/nothing") is None

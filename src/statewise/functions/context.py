"""The Lambda ``context`` object a Python handler receives (stdlib only: runs in the worker)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any


class _Record:
    """Attribute access over a JSON object, like the runtime's client/identity objects."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        for key, value in (values or {}).items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)!r})"


class Client(_Record):
    """``context.client_context.client``: the calling mobile app, when a client sent one."""

    installation_id: str | None = None
    app_title: str | None = None
    app_version_name: str | None = None
    app_version_code: str | None = None
    app_package_name: str | None = None


class ClientContext(_Record):
    """``context.client_context``: the decoded ``X-Amz-Client-Context`` of the invocation."""

    client: Client | None = None
    custom: dict[str, Any] | None = None
    env: dict[str, Any] | None = None


class CognitoIdentity(_Record):
    """``context.identity``: the Amazon Cognito identity, when there is one."""

    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


class LambdaContext:
    """What Lambda's Python runtime passes as a handler's second argument.

    Attributes:
        aws_request_id: the invocation's request id.
        function_name: the function's name.
        function_version: the version running (``$LATEST`` or a number).
        invoked_function_arn: the ARN the caller used (with its alias or version, if any).
        memory_limit_in_mb: the configured memory, as text (Lambda's runtime passes the
            environment variable through unchanged).
        log_group_name: ``/aws/lambda/<function>``.
        log_stream_name: the worker's log stream.
        client_context: the caller's client context, or None.
        identity: the Cognito identity (empty outside mobile SDK calls).
    """

    def __init__(
        self,
        *,
        request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        client_context: dict[str, Any] | None = None,
        identity: dict[str, Any] | None = None,
    ) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context: ClientContext | None = None
        if client_context is not None:
            self.client_context = ClientContext(client_context)
            client = client_context.get("client")
            self.client_context.client = Client(client) if isinstance(client, dict) else None
        self.identity = CognitoIdentity(
            {
                "cognito_identity_id": (identity or {}).get("cognitoIdentityId"),
                "cognito_identity_pool_id": (identity or {}).get("cognitoIdentityPoolId"),
            }
        )
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out (never negative)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: object) -> None:
        """Write to the function's log, as ``context.log`` does on Lambda."""
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )

"""Invoking functions on a remote Lambda endpoint (``LAMBDA_ENDPOINT``) with botocore."""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import get_session

from statewise.functions.invoke import InvokeResult
from statewise.functions.tasks import RemoteLambdaError

# A synchronous invocation may run for 15 minutes; the read timeout must outlast it.
READ_TIMEOUT_SECONDS = 900 + 60


class RemoteInvoker:
    """Calls ``Invoke`` on another Lambda API (``sam local start-lambda``, AWS, statewise)."""

    def __init__(self, endpoint: str, *, region: str, max_concurrency: int = 64) -> None:
        self.endpoint = endpoint
        self.region = region
        self._executor = ThreadPoolExecutor(max_concurrency, thread_name_prefix="lambda-remote")

    @functools.cached_property
    def _client(self) -> Any:
        session = get_session()
        keys: dict[str, str] = {}
        if session.get_credentials() is None:
            # Local endpoints accept any credentials; signing still needs some.
            keys = {"aws_access_key_id": "statewise", "aws_secret_access_key": "statewise"}
        return session.create_client(
            "lambda",
            endpoint_url=self.endpoint,
            region_name=os.environ.get("AWS_DEFAULT_REGION") or self.region,
            config=Config(
                retries={"max_attempts": 1},
                read_timeout=READ_TIMEOUT_SECONDS,
                connect_timeout=10,
                max_pool_connections=64,
            ),
            **keys,
        )

    def _invoke(self, kwargs: dict[str, Any]) -> InvokeResult:
        try:
            response = self._client.invoke(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            meta = exc.response.get("ResponseMetadata", {})
            raise RemoteLambdaError(
                str(error.get("Code") or "AWSLambdaException"),
                int(meta.get("HTTPStatusCode") or 500),
                str(error.get("Message") or exc),
                str(meta.get("RequestId") or uuid.uuid4()),
            ) from exc
        except BotoCoreError as exc:
            raise RemoteLambdaError(
                "SdkClientException", 0, f"Unable to execute HTTP request: {exc}", ""
            ) from exc
        meta = response.get("ResponseMetadata", {})
        return InvokeResult(
            status_code=int(response.get("StatusCode") or meta.get("HTTPStatusCode") or 200),
            payload=response["Payload"].read(),
            request_id=str(meta.get("RequestId") or uuid.uuid4()),
            executed_version=response.get("ExecutedVersion"),
            function_error=response.get("FunctionError"),
            log_result=response.get("LogResult"),
        )

    async def invoke(
        self,
        function_name: str,
        payload: bytes = b"",
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        log_type: str | None = None,
        client_context: str | None = None,
    ) -> InvokeResult:
        kwargs: dict[str, Any] = {
            "FunctionName": function_name,
            "Payload": payload,
            "InvocationType": invocation_type,
        }
        if qualifier:
            kwargs["Qualifier"] = qualifier
        if log_type:
            kwargs["LogType"] = log_type
        if client_context:
            kwargs["ClientContext"] = client_context
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._invoke, kwargs)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

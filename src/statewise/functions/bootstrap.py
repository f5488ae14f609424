"""The Python worker: imports the handler once, then runs invocations until told to stop.

Runs inside the worker process as ``python -u bootstrap.py IN_FD OUT_FD`` with the function's
environment, so it imports only the standard library; ``protocol.py`` and ``context.py``
beside it are loaded under private names, leaving ``sys.path`` and the user's module names
alone. stdout and stderr are the function's log; frames travel on the two descriptors.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
# The log file is emptied between invocations once it is this large.
_LOG_RESET_BYTES = 1 << 20


def _sibling(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"_statewise_{name}", os.path.join(_HERE, f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


protocol = _sibling("protocol")
context_module = _sibling("context")


class InitError(Exception):
    """The handler could not be loaded; carries Lambda's error type."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class _RequestId(logging.Filter):
    """Stamps each log record with the running invocation's request id."""

    current = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.current
        return True


_REQUEST_ID = _RequestId()


def _setup_logging() -> None:
    # Lambda's Python runtime puts one handler with this format on the root logger; the
    # root level stays the standard WARNING unless the function changes it.
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_REQUEST_ID)
    logging.getLogger().addHandler(handler)


def load_handler(spec: str) -> Callable[..., Any]:
    """``module.function`` (``dir/module.function`` too) imported from the task root.

    Raises:
        InitError: with the error type Lambda's Python runtime reports.
    """
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}") from None
    module_name = module_name.replace("/", ".")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise InitError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from None
    except SyntaxError as exc:
        raise InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from None
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler  # type: ignore[no-any-return]


def _user_frames(exc: BaseException) -> list[str]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return traceback.format_list(frames)


def error_object(exc: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's error payload for an exception the handler did not catch."""
    if isinstance(exc, InitError):
        return {
            "errorMessage": exc.message,
            "errorType": exc.error_type,
            "requestId": request_id,
            "stackTrace": [],
        }
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _user_frames(exc),
    }


def _log_error(error: dict[str, Any]) -> None:
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(frame.rstrip("\n") for frame in error["stackTrace"])
    sys.stdout.write("\n".join(lines) + "\n")


def _json_default(value: Any) -> Any:
    # Lambda's Python runtime serialises Decimal (as DynamoDB returns numbers) as numbers.
    if type(value).__name__ == "Decimal":
        import decimal  # only now: importing it costs a cold start milliseconds

        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _invoke(handler: Callable[..., Any], meta: dict[str, Any], body: bytes) -> tuple[str, bytes]:
    request_id = meta["id"]
    _REQUEST_ID.current = request_id
    os.environ["_X_AMZN_TRACE_ID"] = meta.get("trace") or ""
    context = context_module.LambdaContext(
        request_id=request_id,
        deadline_ms=int(meta["deadline_ms"]),
        invoked_function_arn=meta["arn"],
        client_context=meta.get("client_context"),
        identity=meta.get("identity"),
    )
    try:
        event = json.loads(body) if body else {}
        result = handler(event, context)
    except Exception as exc:
        error = error_object(exc, request_id)
        _log_error(error)
        return "error", json.dumps(error).encode()
    try:
        return "result", json.dumps(result, default=_json_default).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        error = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        }
        _log_error(error)
        return "error", json.dumps(error).encode()


def main(argv: list[str]) -> int:
    in_fd, out_fd = int(argv[1]), int(argv[2])
    # Subprocesses the function starts must not hold the server's pipes open.
    os.set_inheritable(in_fd, False)
    os.set_inheritable(out_fd, False)
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # The interpreter put this file's directory first; the task root takes its place.
    if sys.path and os.path.abspath(sys.path[0] or ".") == _HERE:
        sys.path[0] = task_root
    else:
        sys.path.insert(0, task_root)
    _setup_logging()
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as exc:
        error = error_object(exc, "")
        _log_error(error)
        _flush()
        protocol.write_frame(out_fd, {"type": "init_error"}, json.dumps(error).encode())
        return 1
    _flush()
    protocol.write_frame(out_fd, {"type": "ready"})
    while True:
        frame = protocol.read_frame(in_fd)
        if frame is None:
            return 0
        meta, body = frame
        start = _log_size()
        if start > _LOG_RESET_BYTES:
            os.ftruncate(1, 0)
            start = 0
        kind, payload = _invoke(handler, meta, body)
        _flush()
        # The worker reads its own log back (the server's event loop is the busier side):
        # what the invocation appended to stdout/stderr by any means, then the result.
        end = _log_size()
        log = os.pread(1, end - start, start) if end > start else b""
        memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        reply = {"type": kind, "id": meta["id"], "log": len(log), "end": end, "memory": memory}
        protocol.write_frame(out_fd, reply, log + payload)


def _log_size() -> int:
    try:
        return os.fstat(1).st_size
    except OSError:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

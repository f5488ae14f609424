"""The Lambda API's errors: AWS's code, HTTP status and message member for each."""

from __future__ import annotations

from typing import ClassVar

from statewise.errors import StatewiseError


class LambdaError(StatewiseError):
    """Root of the errors the Lambda API answers with.

    ``status`` is the HTTP status botocore's Lambda model gives the error; ``message_key``
    is the member the message travels in (``Message`` for a few shapes, ``message`` for
    the rest, as the model and the service spell them).
    """

    code: ClassVar[str] = "ServiceException"
    status: ClassVar[int] = 500
    message_key: ClassVar[str] = "message"


class ServiceException(LambdaError):
    """The service failed internally."""

    code = "ServiceException"
    status = 500
    message_key = "Message"


class ResourceNotFoundException(LambdaError):
    """No function, version or alias has this name."""

    code = "ResourceNotFoundException"
    status = 404
    message_key = "Message"


class InvalidParameterValueException(LambdaError):
    """A parameter's value is not acceptable."""

    code = "InvalidParameterValueException"
    status = 400


class ValidationException(LambdaError):
    """A request that breaks the API model's constraints."""

    code = "ValidationException"
    status = 400


class ResourceConflictException(LambdaError):
    """The resource exists already, or is in use."""

    code = "ResourceConflictException"
    status = 409


class PreconditionFailedException(LambdaError):
    """The RevisionId given is not the current one."""

    code = "PreconditionFailedException"
    status = 412


class RequestTooLargeException(LambdaError):
    """The request payload exceeds the operation's limit."""

    code = "RequestTooLargeException"
    status = 413


class InvalidRequestContentException(LambdaError):
    """The request body is not valid JSON."""

    code = "InvalidRequestContentException"
    status = 400


class UnsupportedMediaTypeException(LambdaError):
    """The content type of the request is not accepted."""

    code = "UnsupportedMediaTypeException"
    status = 415


class TooManyRequestsException(LambdaError):
    """The function's or the account's concurrency is exhausted.

    Attributes:
        reason: AWS's ``Reason`` member (``ReservedFunctionConcurrentInvocationLimitExceeded``
            or ``ConcurrentInvocationLimitExceeded``).
    """

    code = "TooManyRequestsException"
    status = 429

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

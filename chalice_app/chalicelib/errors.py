"""Errors the API answers with, each mapped to one status and code of the contract's Error schema."""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    code = "InternalError"
    # Seconds a client should wait before retrying; sent as Retry-After when set.
    retry_after: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class BadRequestError(ApiError):
    status = 400
    code = "BadRequest"


class ValidationError(ApiError):
    status = 400
    code = "ValidationError"


class NotFoundError(ApiError):
    status = 404
    code = "NotFound"


class ConflictError(ApiError):
    status = 409
    code = "Conflict"


class PayloadTooLargeError(ApiError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedMediaTypeError(ApiError):
    status = 415
    code = "UnsupportedMediaType"


class TooManyRequestsError(ApiError):
    """Too many concurrent writes to one subject: the client should back off briefly."""

    status = 429
    code = "TooManyRequests"
    retry_after = 1


class ServiceUnavailableError(ApiError):
    """A dependency is throttling or unavailable; nothing was half-written."""

    status = 503
    code = "ServiceUnavailable"
    retry_after = 2


class PoisonMessageError(Exception):
    """A queued or streamed record that can never succeed; retries send it to the DLQ."""

"""Errors the API answers with, each mapped to one status and code of the contract's Error schema."""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    code = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    status = 429
    code = "TooManyRequests"


class PoisonMessageError(Exception):
    """A queued or streamed record that can never succeed; retries send it to the DLQ."""

"""API errors: a gRPC status code, its HTTP status, and a message that says what to fix."""

from __future__ import annotations

from typing import Any

HTTP_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "FAILED_PRECONDITION": 412,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNIMPLEMENTED": 501,
    "DEADLINE_EXCEEDED": 504,
}


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or HTTP_STATUS[code]

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def invalid(message: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message)


def not_found(message: str) -> ApiError:
    return ApiError("NOT_FOUND", message)


def too_large(message: str) -> ApiError:
    """Over a size limit: gRPC's RESOURCE_EXHAUSTED, but HTTP 413, not 429.

    429 tells a client to slow down and retry; a too-large body fails the
    same way every time, and 413 says so.
    """
    return ApiError("RESOURCE_EXHAUSTED", message, status=413)

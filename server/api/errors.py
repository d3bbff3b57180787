"""API errors as the widget reads them: ``{"code", "message", "details"}`` with an HTTP status."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message, "details": self.details},
                            status_code=self.status, headers=self.headers)


def rate_limited(retry_after: float, what: str) -> ApiError:
    return ApiError(429, "RATE_LIMITED", f"Too many requests for this {what}; retry after {retry_after:.0f} s.",
                    {"retryAfter": retry_after}, headers={"Retry-After": str(int(retry_after))})

"""API errors as the widget reads them: ``{"code", "message", "details"}`` with an HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from eye.answers import ErrorBody


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


#: The code of an error the framework raised (a body that is not JSON, a route or method that
#: does not exist), so that every answer of the API has the one error shape.
_HTTP_CODES = {400: "INVALID_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def from_http(status: int, detail: str, headers: Mapping[str, str] | None) -> ApiError:
    """The API's error for an ``HTTPException`` of the framework's (``{"detail"}`` otherwise)."""
    if status == 400 and "parsing the body" in detail:
        detail = "The request body is not valid JSON."
    return ApiError(status, _HTTP_CODES.get(status, "HTTP_ERROR"), detail, {"body": detail} if status == 400 else {},
                    headers=dict(headers or {}))


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that may answer these error statuses (and, always, 400 for a
    body that is not JSON, 422 for a parameter that is not valid, and 429)."""
    meaning = {400: "Not JSON, or a bad query or header (the field is named)", 401: "No valid key or token for this route",
               403: "The key may not do this (read-only, or not an operator's)", 404: "Not found (or another institution's)",
               409: "Conflict with the current state", 410: "The link has expired", 413: "Body too large", 415: "Unsupported content type",
               422: "A field of the body is not valid (named in details)", 429: "Rate limited (see Retry-After)",
               503: "Could not be stored right now; retry"}
    return {s: {"model": ErrorBody, "description": meaning[s]} for s in sorted({*statuses, 400, 422, 429})}

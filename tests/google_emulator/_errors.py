"""Google-style API errors."""

from __future__ import annotations

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error that is rendered as Google's JSON error envelope."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict:
        err = {"domain": "global", "reason": self.reason, "message": self.message}
        if self.reason in ("rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"):
            err["domain"] = "usageLimits"
        err.update(self.extra)
        return {
            "error": {
                "errors": [err],
                "code": self.status,
                "message": self.message,
                "status": _STATUS_NAMES.get(self.status, "UNKNOWN"),
            }
        }


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")

"""One exception type for every answer that is not a 200, so handlers stay linear."""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP error with a stable machine-readable code (the schema's `$defs/error`)."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, dict[str, str]]:
        """The JSON body: {"error": {"code", "message"}}."""
        return {"error": {"code": self.code, "message": self.message}}

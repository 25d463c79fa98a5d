"""Errors that services raise for a broken rule; views map them to messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the request. `code` names the rule; `params` fill its message."""

    code = "service_error"

    def __init__(self, code: str | None = None, **params: object) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(f"{self.code}: {params}" if params else self.code)


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class InvalidInput(ServiceError):
    code = "invalid_input"

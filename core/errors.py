"""Domain errors shared by every layer; `web` maps them to HTTP once, the CLI to exit codes."""

from __future__ import annotations

from typing import Any


class AkteError(Exception):
    """Base class of every error akte reports to a user."""

    code = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(AkteError):
    code = "not_found"


class Forbidden(AkteError):
    code = "forbidden"


class Conflict(AkteError):
    """A concurrent change won, or the target is in a state that forbids the operation."""

    code = "conflict"


class ValidationFailed(AkteError):
    """Input was rejected; `details` maps field names (or locations) to messages."""

    code = "validation_failed"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message, details if details is not None else {})


class Unavailable(AkteError):
    """Something akte depends on (the document store, the index) cannot deliver right now."""

    code = "unavailable"


class ConfigurationError(AkteError):
    code = "configuration_error"

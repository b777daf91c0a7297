"""Errors that services raise for input a user can get wrong."""

from __future__ import annotations


class ValidationFailed(Exception):
    """Input refused; `errors` maps a field name to a human reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))
        self.errors = errors


class Conflict(Exception):
    """The change conflicts with the register's state (duplicate key, in use...)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

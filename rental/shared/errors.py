"""Domain errors. The web layer maps them to 422 / 404 / 409 with the message shown to the user."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors whose message is written for the person who caused them."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """The input is wrong; `field` names the form field at fault when there is one."""

    status_code = 422

    def __init__(
        self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.errors: dict[str, str] = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = message


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    """The request is valid but clashes with the current state (duplicate, no capacity left...)."""

    status_code = 409

"""Domain errors. The web layer maps them to 422 / 404 / 409 with the message shown to the user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class InputWarning:
    """Input that is allowed but probably a mistake. `code` is stable, so a form can send back
    which warnings the person confirmed; `field` names the form field it is about."""

    code: str
    message: str
    field: str | None = None


class NeedsConfirmation(DomainError):
    """Nothing was saved: the input raised warnings that were not confirmed. Send the command
    again with the warnings' codes among its confirmed warnings to go ahead."""

    status_code = 422

    def __init__(self, warnings: Iterable[InputWarning]) -> None:
        self.warnings: list[InputWarning] = list(warnings)
        details = " ".join(w.message for w in self.warnings)
        super().__init__(f"Please check before saving: {details}")

    @property
    def codes(self) -> list[str]:
        return [w.code for w in self.warnings]


def ensure_confirmed(warnings: Iterable[InputWarning], confirmed: Iterable[str]) -> None:
    """Raise NeedsConfirmation for the warnings whose code is not among `confirmed`."""
    done = set(confirmed)
    left = [w for w in warnings if w.code not in done]
    if left:
        raise NeedsConfirmation(left)

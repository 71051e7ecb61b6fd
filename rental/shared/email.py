"""E-mail addresses: one normalisation and one validity rule for every module (pure Python).

Addresses are compared case-insensitively, so they are stored normalised: trimmed and
lower-cased. The format check is the practical subset of RFC 5321/5322 that real mail systems
accept: a dot-atom local part (at most 64 characters), an '@', and a domain of letter/digit/
hyphen labels with a top-level domain, 254 characters in all."""

from __future__ import annotations

import re

from rental.shared.errors import ValidationError

MAX_LENGTH = 254
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_EMAIL = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+{_TLD})")


def normalise_email(raw: str) -> str:
    return (raw or "").strip().lower()


def is_valid_email(normalised: str) -> bool:
    match = _EMAIL.fullmatch(normalised)
    return bool(match) and len(normalised) <= MAX_LENGTH and len(match.group("local")) <= 64


def validate_email(raw: str, field: str = "email") -> str:
    """The normalised address, or a ValidationError naming `field` and the problem."""
    email = normalise_email(raw)
    if not email:
        raise ValidationError("Enter an email address.", field=field)
    if len(email) > MAX_LENGTH:
        raise ValidationError(
            f"The email address is too long (at most {MAX_LENGTH} characters).", field=field
        )
    if not is_valid_email(email):
        raise ValidationError("Enter a valid email address, like name@example.com.", field=field)
    return email

"""Staff account rules: roles, the password policy, Argon2 hashing."""

from __future__ import annotations

import pytest

from rental.accounts.domain.models import (
    Role,
    check_password_policy,
    ensure_an_admin_remains,
    parse_role,
)
from rental.accounts.infrastructure.passwords import Passwords
from rental.shared.errors import ConflictError, ValidationError


def test_roles_are_parsed_case_insensitively_and_unknown_ones_refused():
    assert parse_role(" admin ") is Role.ADMIN
    with pytest.raises(ValidationError) as err:
        parse_role("root")
    assert err.value.field == "role"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("x" * 257, "too long"),
        (" " * 12, "only spaces"),
        ("Boss@Example.com", "not be your email"),
    ],
)
def test_password_policy(password, problem):
    with pytest.raises(ValidationError) as err:
        check_password_policy(password, "boss@example.com")
    assert problem in err.value.message


def test_the_last_active_admin_must_remain():
    ensure_an_admin_remains(1)
    with pytest.raises(ConflictError):
        ensure_an_admin_remains(0)


def test_passwords_are_argon2id_hashes_that_verify_only_the_right_password():
    passwords = Passwords(time_cost=1, memory_cost=1024)
    hashed = passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "Correct horse battery")
    assert not passwords.verify(None, "correct horse battery")  # unknown user: same work, False
    assert not passwords.verify("not a hash", "x")
    assert Passwords().needs_rehash(hashed)  # weaker parameters are upgraded at login

"""Staff account rules: roles, the password policy, Argon2 hashing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rental.accounts.domain.models import (
    Role,
    StaffUser,
    StaffUserAction,
    check_password_policy,
    ensure_an_admin_remains,
    login_id,
    parse_role,
    split_login_id,
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


def user(active: bool = True) -> StaffUser:
    created = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return StaffUser("u-1", "pat@example.com", "hash", Role.STAFF, active, created, "token")


def test_admins_may_deactivate_or_reactivate_others_but_never_themselves():
    assert user().allowed_actions("someone else") == {StaffUserAction.DEACTIVATE}
    assert user(active=False).allowed_actions(None) == {StaffUserAction.REACTIVATE}
    assert user().allowed_actions("u-1") == frozenset()


def test_the_login_id_names_user_token_and_session_and_anything_else_is_refused():
    assert login_id(user(), "s-1") == "u-1:token:s-1"
    assert split_login_id("u-1:token:s-1") == ("u-1", "token", "s-1")
    for malformed in ("", "u-1:token", "a:b:c:d", None):
        assert split_login_id(malformed) == ("", "", "")


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

"""Customer validation: every field named with its problem; email and phone edge cases
checked property-based."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.customers.domain.models import (
    ANONYMISED_NAME,
    COMPARED_FIELDS,
    Address,
    ContactDetails,
    Customer,
    CustomerAction,
    CustomerStatus,
    clean_text,
    phone_problem,
)
from rental.shared.email import is_valid_email, normalise_email, validate_email
from rental.shared.errors import ConflictError, ValidationError

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
GOOD = {
    "name": "Maria Schneider",
    "email": "Maria.Schneider@Example.com",
    "phone": "+49 30 5550 1234",
    "street": "Kastanienallee 12",
    "city": "Berlin",
    "state": "Berlin",
    "postal_code": "10435",
    "country": "Germany",
}


def details(**changes: str) -> ContactDetails:
    return ContactDetails.create(**{**GOOD, **changes})


def test_valid_details_are_cleaned_and_the_email_normalised():
    d = details(name="  Maria   Schneider ", city=" Berlin\t")
    assert d.name == "Maria Schneider"
    assert d.email == "maria.schneider@example.com"
    assert d.address == Address("Kastanienallee 12", "Berlin", "Berlin", "10435", "Germany")


def test_every_missing_field_is_named_with_its_problem():
    with pytest.raises(ValidationError) as err:
        ContactDetails.create(**dict.fromkeys(GOOD, "  "))
    assert set(err.value.errors) == set(GOOD)
    assert err.value.errors["postal_code"] == "Enter the postal code."
    assert err.value.errors["email"] == "Enter an email address."
    assert err.value.errors["phone"] == "Enter a phone number."


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 255), ("street", 255), ("city", 120), ("postal_code", 20), ("country", 100)],
)
def test_lengths_are_limited(field, limit):
    details(**{field: "x" * limit})
    with pytest.raises(ValidationError) as err:
        details(**{field: "x" * (limit + 1)})
    assert err.value.field == field and f"at most {limit}" in err.value.errors[field]


@pytest.mark.parametrize(
    "email",
    [
        "plainaddress",
        "@example.com",
        "a@",
        "a@b",
        "a b@example.com",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.c",
        "a@@example.com",
    ],
)
def test_invalid_emails_are_refused_with_a_clear_message(email):
    with pytest.raises(ValidationError) as err:
        details(email=email)
    assert err.value.errors == {"email": "Enter a valid email address, like name@example.com."}


@given(st.emails())
def test_any_rfc_email_is_accepted_and_normalised_to_lower_case(email):
    if len(email) > 254 or len(email.split("@")[0]) > 64:
        return  # hypothesis may go beyond what mail systems accept
    normalised = validate_email(email)
    assert normalised == email.strip().lower()
    assert validate_email(normalised.upper()) == normalised  # case-insensitive, idempotent


@given(st.emails(), st.sampled_from([" ", "\t", "\n"]))
def test_surrounding_whitespace_is_ignored_but_inner_whitespace_is_not(email, space):
    if len(email) > 250 or len(email.split("@")[0]) > 64:
        return
    assert normalise_email(space + email + space) == email.lower()
    local, domain = email.split("@")
    assert not is_valid_email(normalise_email(f"{local}{space}x@{domain}"))


@given(st.text(alphabet=string.ascii_letters + string.digits + ".-_", max_size=40))
def test_strings_without_an_at_sign_are_never_emails(text):
    assert not is_valid_email(normalise_email(text))


@given(
    st.lists(st.integers(0, 9), min_size=5, max_size=15),
    st.sampled_from(["", "+"]),
    st.sampled_from([" ", "-", ""]),
)
def test_phone_numbers_with_5_to_15_digits_are_accepted(digits, plus, sep):
    phone = plus + sep.join(str(d) for d in digits)
    if len(phone) > 20:
        assert phone_problem(phone) and "too long" in phone_problem(phone)
    else:
        assert phone_problem(phone) is None
        assert details(phone=f"  {phone} ").phone == phone


@given(st.text(min_size=1, max_size=20).filter(lambda t: any(c.isalpha() for c in t)))
def test_phone_numbers_with_letters_are_refused(text):
    assert phone_problem(clean_text(text)) is not None


@pytest.mark.parametrize(
    ("phone", "problem"),
    [
        ("1234", "at least 5 digits"),
        ("+1 555 0100 ext 9", "Use only digits"),
        ("1234567890123456", "more than 15 digits"),
        ("+44 20 7946 0321 0000 11", "too long"),
        ("44+20", "Use only digits"),
    ],
)
def test_phone_problems_are_explained(phone, problem):
    with pytest.raises(ValidationError) as err:
        details(phone=phone)
    assert problem in err.value.errors["phone"]


def test_control_characters_are_removed_from_text():
    assert details(name="Maria\x00 Schneider\u200b").name.startswith("Maria Schneider")


def customer() -> Customer:
    return Customer.register("c-1", details(), NOW)


def test_a_new_customer_is_active_and_can_book():
    c = customer()
    assert c.status is CustomerStatus.ACTIVE and c.registered_at == NOW and c.can_book


def test_suspended_customers_cannot_book_until_reactivated():
    c = customer().suspend()
    assert c.status is CustomerStatus.SUSPENDED and not c.can_book
    assert c.reactivate().can_book


def test_anonymising_removes_all_personal_data_and_keeps_the_id():
    c = customer().anonymise(NOW)
    assert c.id == "c-1" and c.name == ANONYMISED_NAME
    assert c.email == "anonymised-c-1@invalid"
    values = [c.name, c.email, c.phone, *vars_of(c.address)]
    for original in [*GOOD.values(), "maria.schneider@example.com"]:
        assert all(original.lower() not in v.lower() for v in values), original
    assert c.anonymised_at == NOW and not c.can_book


def vars_of(address: Address) -> list[str]:
    return [address.street, address.city, address.state, address.postal_code, address.country]


def test_an_anonymised_customer_cannot_be_changed_again():
    c = customer().anonymise(NOW)
    for change in (lambda: c.update(details()), c.suspend, c.reactivate):
        with pytest.raises(ConflictError):
            change()


def test_the_allowed_actions_follow_the_status_and_end_with_anonymising():
    edit, suspend, reactivate, anonymise = (
        CustomerAction.EDIT,
        CustomerAction.SUSPEND,
        CustomerAction.REACTIVATE,
        CustomerAction.ANONYMISE,
    )
    assert customer().allowed_actions() == {edit, suspend, anonymise}
    assert customer().suspend().allowed_actions() == {edit, reactivate, anonymise}
    assert customer().suspend().anonymise(NOW).allowed_actions() == frozenset()


def test_changed_fields_lists_what_differs():
    c = customer()
    assert c.changed_fields(c.update(details(phone="+49 30 1111 2222", city="Potsdam"))) == [
        "phone",
        "city",
    ]


def test_differences_name_only_what_really_differs_from_the_stored_profile():
    c = customer()
    # Letter case, spacing and phone punctuation are not differences.
    same = details(
        name="  maria   SCHNEIDER ",
        phone="+4930 55501234",
        street="kastanienallee 12",
        country="GERMANY",
        email="someone.else@example.com",  # the e-mail found the profile: never compared
    )
    assert c.differences(same) == ()
    typed = details(name="Maria Schneider-Ott", phone="+49 30 9999 0000", postal_code="10437")
    assert c.differences(typed) == ("name", "phone", "postal_code")
    everything = details(
        name="A",
        phone="+1 555 0100",
        street="B 1",
        city="C",
        state="D",
        postal_code="E",
        country="F",
    )
    assert c.differences(everything) == COMPARED_FIELDS

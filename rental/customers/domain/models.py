"""The Customer: identity and contact details, with the validation rules of the spec.

Pure Python. Every constructor validates *all* fields and raises one ValidationError whose
`errors` name each field at fault, so a form can show every problem at once."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from rental.shared.email import normalise_email, validate_email
from rental.shared.errors import ConflictError, ValidationError

# What a customer who may not book (suspended) is told, wherever a booking is refused.
CANNOT_BOOK = "This customer account cannot make bookings at the moment. Please contact us."

NAME_MAX = 255
PHONE_MAX = 20
PHONE_MIN_DIGITS = 5
PHONE_MAX_DIGITS = 15  # E.164
ADDRESS_LIMITS = {"street": 255, "city": 120, "state": 120, "postal_code": 20, "country": 100}
ADDRESS_LABELS = {
    "street": "street",
    "city": "city",
    "state": "state or region",
    "postal_code": "postal code",
    "country": "country",
}
ANONYMISED_NAME = "Anonymised customer"
ANONYMISED_TEXT = "(removed)"
ANONYMISED_IS_FINAL = "This customer was anonymised; their record can no longer be changed."
_PHONE = re.compile(r"\+?[0-9 ().\-/]+")
# The fields a booking made with a known e-mail may type differently from the stored profile
# (the e-mail itself is what found the profile), in the order a form shows them.
COMPARED_FIELDS = ("name", "phone", "street", "city", "state", "postal_code", "country")


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class CustomerAction(StrEnum):
    """What staff may do with a customer record (the page offers exactly these)."""

    EDIT = "edit"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    ANONYMISE = "anonymise"


def is_customer_id(value: str) -> bool:
    """Customer IDs are UUIDs (any letter case is accepted; they are stored lower-case)."""
    try:
        return str(uuid.UUID(str(value))) == str(value).lower()
    except ValueError:
        return False


def clean_text(value: str | None) -> str:
    """Trim, collapse runs of whitespace and drop control characters."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in (value or ""))
    return " ".join(text.split())


def _required(errors: dict[str, str], field: str, label: str, value: str, limit: int) -> str:
    text = clean_text(value)
    if not text:
        errors[field] = f"Enter the {label}."
    elif len(text) > limit:
        errors[field] = f"The {label} is too long (at most {limit} characters)."
    return text


def normalise_phone(raw: str | None) -> str:
    return clean_text(raw)


def phone_problem(phone: str) -> str | None:
    """Why `phone` (already normalised) is not a usable phone number, or None."""
    if not phone:
        return "Enter a phone number."
    if len(phone) > PHONE_MAX:
        return f"The phone number is too long (at most {PHONE_MAX} characters)."
    if not _PHONE.fullmatch(phone):
        return "Use only digits, spaces and + ( ) - . / in the phone number."
    digits = sum(ch.isdigit() for ch in phone)
    if digits < PHONE_MIN_DIGITS:
        return f"The phone number needs at least {PHONE_MIN_DIGITS} digits."
    if digits > PHONE_MAX_DIGITS:
        return f"The phone number has more than {PHONE_MAX_DIGITS} digits."
    return None


def _email(errors: dict[str, str], raw: str) -> str:
    try:
        return validate_email(raw)
    except ValidationError as exc:
        errors["email"] = exc.message
        return normalise_email(raw)


def _raise(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        count = len(errors)
        summary = errors[first] if count == 1 else f"Please correct the {count} fields marked."
        raise ValidationError(summary, field=first, errors=errors)


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    postal_code: str
    country: str

    @classmethod
    def _collect(
        cls,
        errors: dict[str, str],
        street: str,
        city: str,
        state: str,
        postal_code: str,
        country: str,
    ) -> Address:
        values = {
            "street": street,
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "country": country,
        }
        cleaned = {
            field: _required(errors, field, ADDRESS_LABELS[field], value, ADDRESS_LIMITS[field])
            for field, value in values.items()
        }
        return cls(**cleaned)

    def as_lines(self) -> list[str]:
        return [self.street, f"{self.postal_code} {self.city}", f"{self.state}, {self.country}"]


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """Validated name, email, phone and address (what registration and updates accept)."""

    name: str
    email: str
    phone: str
    address: Address

    @classmethod
    def create(
        cls,
        *,
        name: str,
        email: str,
        phone: str,
        street: str,
        city: str,
        state: str,
        postal_code: str,
        country: str,
    ) -> ContactDetails:
        errors: dict[str, str] = {}
        clean_name = _required(errors, "name", "name", name, NAME_MAX)
        clean_email = _email(errors, email)
        clean_phone = normalise_phone(phone)
        if problem := phone_problem(clean_phone):
            errors["phone"] = problem
        address = Address._collect(errors, street, city, state, postal_code, country)
        _raise(errors)
        return cls(clean_name, clean_email, clean_phone, address)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    email: str
    phone: str
    address: Address
    registered_at: datetime
    status: CustomerStatus = CustomerStatus.ACTIVE
    anonymised_at: datetime | None = None

    @classmethod
    def register(cls, customer_id: str, details: ContactDetails, now: datetime) -> Customer:
        return cls(
            id=customer_id,
            name=details.name,
            email=details.email,
            phone=details.phone,
            address=details.address,
            registered_at=now,
        )

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def can_book(self) -> bool:
        return self.status is CustomerStatus.ACTIVE and not self.is_anonymised

    def ensure_can_book(self) -> None:
        if not self.can_book:
            raise ValidationError(CANNOT_BOOK, field="customer")

    def allowed_actions(self) -> frozenset[CustomerAction]:
        if self.is_anonymised:
            return frozenset()  # anonymising is final: nothing is left to change
        switch = (
            CustomerAction.SUSPEND
            if self.status is CustomerStatus.ACTIVE
            else CustomerAction.REACTIVATE
        )
        return frozenset({CustomerAction.EDIT, switch, CustomerAction.ANONYMISE})

    def ensure_changeable(self) -> None:
        if self.is_anonymised:
            raise ConflictError(ANONYMISED_IS_FINAL)

    def update(self, details: ContactDetails) -> Customer:
        self.ensure_changeable()
        return replace(
            self,
            name=details.name,
            email=details.email,
            phone=details.phone,
            address=details.address,
        )

    def differences(self, typed: ContactDetails) -> tuple[str, ...]:
        """The fields (COMPARED_FIELDS) where `typed` says something else than this profile.
        Only real differences count: letter case and spacing do not, and phone numbers are
        compared by their digits ("+49 30 555" is "+4930555")."""
        return tuple(
            name
            for name in COMPARED_FIELDS
            if _comparable(name, _field(self.name, self.phone, self.address, name))
            != _comparable(name, _field(typed.name, typed.phone, typed.address, name))
        )

    def changed_fields(self, other: Customer) -> list[str]:
        fields = ["name", "email", "phone"]
        changed = [f for f in fields if getattr(self, f) != getattr(other, f)]
        for part in ADDRESS_LIMITS:
            if getattr(self.address, part) != getattr(other.address, part):
                changed.append(part)
        return changed

    def suspend(self) -> Customer:
        self.ensure_changeable()
        return replace(self, status=CustomerStatus.SUSPENDED)

    def reactivate(self) -> Customer:
        self.ensure_changeable()
        return replace(self, status=CustomerStatus.ACTIVE)

    def anonymise(self, now: datetime) -> Customer:
        """Replace every piece of personal data with placeholders; keep the ID (irreversible)."""
        return replace(
            self,
            name=ANONYMISED_NAME,
            email=anonymised_email(self.id),
            phone=ANONYMISED_TEXT,
            address=Address(
                street=ANONYMISED_TEXT,
                city=ANONYMISED_TEXT,
                state=ANONYMISED_TEXT,
                postal_code=ANONYMISED_TEXT,
                country=ANONYMISED_TEXT,
            ),
            anonymised_at=self.anonymised_at or now,
        )


def _field(name: str, phone: str, address: Address, field: str) -> str:
    if field == "name":
        return name
    if field == "phone":
        return phone
    return getattr(address, field)


def _comparable(field: str, value: str) -> str:
    if field == "phone":
        return "".join(ch for ch in value if ch in "0123456789")
    return clean_text(value).casefold()


def anonymised_email(customer_id: str) -> str:
    return f"anonymised-{customer_id}@invalid"

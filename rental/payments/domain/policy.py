"""The shop's payment policy: what is due when, the deposit rule, VAT, the cancellation fee and
the grace period before a return is overdue. One row, saved by administrators on
/admin/payments/settings; a shop that saved nothing gets `PaymentPolicy()` (pay at pick-up,
deposit required, no VAT, free cancellation, 30 minutes' grace)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.parsing import parse_decimal, parse_int

MAX_VAT_ID = 40
MAX_FREE_HOURS = 24 * 90
MAX_GRACE_MINUTES = 24 * 60
MAX_INVOICE_DAYS = 120


class DepositRule(StrEnum):
    REQUIRED = "required"  # paid before the equipment is handed over
    OPTIONAL = "optional"  # staff may hand over without it


class RentalDue(StrEnum):
    AT_PICKUP = "at_pickup"
    AT_RETURN = "at_return"
    BY_INVOICE = "by_invoice"


class FeeKind(StrEnum):
    NONE = "none"
    PERCENT = "percent"
    FIXED = "fixed"


DEPOSIT_LABELS = {
    DepositRule.REQUIRED: "Required: paid before the equipment is handed over",
    DepositRule.OPTIONAL: "Optional: staff may hand over without it",
}
RENTAL_DUE_LABELS = {
    RentalDue.AT_PICKUP: "At pick-up",
    RentalDue.AT_RETURN: "When the equipment comes back",
    RentalDue.BY_INVOICE: "By bank transfer against the invoice",
}
FEE_LABELS = {
    FeeKind.NONE: "No fee: cancelling is free until the start",
    FeeKind.PERCENT: "A percentage of the rental total",
    FeeKind.FIXED: "A fixed amount",
}


@dataclass(frozen=True, slots=True)
class PaymentPolicy:
    rental_due: RentalDue = RentalDue.AT_PICKUP
    invoice_days: int = 14  # BY_INVOICE: days to pay after the invoice
    deposit: DepositRule = DepositRule.REQUIRED
    vat_rate: Decimal = Decimal("0")  # percent, e.g. 20 or 7.7
    prices_include_vat: bool = True  # rate cards are gross (VAT included) or net
    vat_id: str = ""  # the seller's VAT number printed on invoices
    invoice_on_confirm: bool = True  # issue an invoice when a booking is confirmed
    cancellation_free_hours: int = 48  # cancelling is free until this long before the start
    cancellation_fee: FeeKind = FeeKind.NONE
    cancellation_fee_value: Decimal = Decimal("0")  # percent or an amount in the currency
    overdue_grace_minutes: int = 30  # after the end, before a return counts as overdue

    @property
    def overdue_grace(self) -> timedelta:
        return timedelta(minutes=self.overdue_grace_minutes)

    @property
    def cancellation_free_before(self) -> timedelta:
        return timedelta(hours=self.cancellation_free_hours)

    @property
    def charges_vat(self) -> bool:
        return self.vat_rate > 0

    @property
    def adds_vat(self) -> bool:
        """Rate cards are net and VAT is charged: Booking's amounts are net, and Payments
        adds the VAT where they enter the ledger (the ledger is kept in what the customer
        pays)."""
        return not self.prices_include_vat and self.vat_rate > 0

    @property
    def vat_percent(self) -> str:
        """The rate as printed: '19 %', '7.7 %'."""
        return f"{self.vat_rate.normalize():f} %"

    def gross(self, money: Money) -> Money:
        """What the customer pays for a booking amount (a rate card's price, a booking line's
        total): under a net policy net × (100 + rate) / 100, rounded half-up to the currency's
        decimals; the amount itself (unchanged) under a gross policy or a rate of 0. The one
        rule by which net amounts enter the ledger, the invoice and the customer's pages."""
        if not self.adds_vat:
            return money
        return Money(
            money.amount * (Decimal(100) + self.vat_rate) / Decimal(100), money.currency
        ).rounded()

    def gross_total(self, amounts: Iterable[Money], currency: str) -> Money:
        """The sum of the amounts' gross, each rounded first (as the ledger charges them:
        one charge per booking line), so the sum matches the ledger to the cent."""
        total = Money.zero(currency)
        for amount in amounts:
            total = total + self.gross(amount.rounded())
        return total


def _choice(enum: type[StrEnum], raw: str | None, field: str, label: str) -> StrEnum:
    try:
        return enum(raw or "")
    except ValueError:
        raise ValidationError(f"Choose {label}.", field=field) from None


def build_policy(form: Mapping[str, str]) -> PaymentPolicy:
    """The policy from what an administrator typed. Every faulty field is reported at once:
    ValidationError with `errors` by field name."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def take(name: str, parse: object) -> None:
        try:
            values[name] = parse()  # type: ignore[operator]
        except ValidationError as exc:
            errors[name] = exc.message

    take(
        "rental_due",
        lambda: _choice(RentalDue, form.get("rental_due"), "rental_due", "when the rental is paid"),
    )
    take(
        "deposit", lambda: _choice(DepositRule, form.get("deposit"), "deposit", "the deposit rule")
    )
    take(
        "invoice_days",
        lambda: parse_int(
            form.get("invoice_days") or "14",
            field="invoice_days",
            label="days to pay an invoice",
            minimum=0,
            maximum=MAX_INVOICE_DAYS,
        ),
    )
    take(
        "vat_rate",
        lambda: (
            parse_decimal(
                form.get("vat_rate"),
                field="vat_rate",
                label="VAT rate",
                minimum=Decimal("0"),
                maximum=Decimal("50"),
                places=2,
                example="20",
            )
            or Decimal("0")
        ),
    )
    vat_id = " ".join((form.get("vat_id") or "").split())
    if len(vat_id) > MAX_VAT_ID:
        errors["vat_id"] = f"Keep the VAT number under {MAX_VAT_ID} characters."
    values["vat_id"] = vat_id
    gross = form.get("prices_include_vat", "")
    if gross not in ("gross", "net"):
        errors["prices_include_vat"] = "Say whether the rate cards include VAT or not."
    values["prices_include_vat"] = gross != "net"
    values["invoice_on_confirm"] = form.get("invoice_on_confirm") == "on"
    take(
        "cancellation_free_hours",
        lambda: parse_int(
            form.get("cancellation_free_hours"),
            field="cancellation_free_hours",
            label="hours before the start",
            minimum=0,
            maximum=MAX_FREE_HOURS,
            example="48",
        ),
    )
    take(
        "cancellation_fee",
        lambda: _choice(
            FeeKind, form.get("cancellation_fee"), "cancellation_fee", "the cancellation fee"
        ),
    )
    take(
        "cancellation_fee_value",
        lambda: (
            parse_decimal(
                form.get("cancellation_fee_value"),
                field="cancellation_fee_value",
                label="fee",
                minimum=Decimal("0"),
                maximum=Decimal("100000"),
                places=2,
                example="25",
            )
            or Decimal("0")
        ),
    )
    take(
        "overdue_grace_minutes",
        lambda: parse_int(
            form.get("overdue_grace_minutes"),
            field="overdue_grace_minutes",
            label="grace period",
            minimum=0,
            maximum=MAX_GRACE_MINUTES,
            example="30",
        ),
    )
    fee, value = values.get("cancellation_fee"), values.get("cancellation_fee_value")
    if "cancellation_fee_value" not in errors and isinstance(value, Decimal):
        if fee == FeeKind.PERCENT and value > 100:
            errors["cancellation_fee_value"] = "A percentage fee can be at most 100."
        elif fee in (FeeKind.PERCENT, FeeKind.FIXED) and value == 0:
            errors["cancellation_fee_value"] = (
                "Give the fee, or choose 'No fee' if cancelling stays free."
            )
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    if fee == FeeKind.NONE:
        values["cancellation_fee_value"] = Decimal("0")
    return PaymentPolicy(**values)  # type: ignore[arg-type]

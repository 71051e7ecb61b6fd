"""The ledger's arithmetic and rules (pure): balances, refunds, reversals, deposit state."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rental.payments.domain.ledger import (
    MAX_AMOUNT,
    Account,
    Category,
    DepositState,
    EntryKind,
    Ledger,
    Method,
    check_amount,
)
from rental.shared.errors import ConflictError, NotFoundError, ValidationError

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
_ids = itertools.count()


def new_id() -> str:
    return f"e{next(_ids)}"


def ledger(currency: str = "EUR") -> Ledger:
    return Ledger(order_id="o1", currency=currency)


def charge(lg: Ledger, amount: str, account: Account = Account.RENTAL, **kw):
    return lg.add_charge(
        entry_id=new_id(),
        amount=Decimal(amount),
        account=account,
        category=kw.pop("category", Category.RENTAL),
        reason="r",
        actor="staff",
        at=NOW,
        **kw,
    )


def pay(lg: Ledger, amount: str, account: Account = Account.RENTAL):
    return lg.record_payment(
        entry_id=new_id(),
        amount=Decimal(amount),
        account=account,
        method=Method.CASH,
        reference="",
        actor="staff",
        at=NOW,
    )


def refund(lg: Ledger, amount: str, account: Account = Account.RENTAL):
    return lg.issue_refund(
        entry_id=new_id(),
        amount=Decimal(amount),
        account=account,
        method=Method.CASH,
        reference="",
        reason="",
        actor="staff",
        at=NOW,
    )


def reverse(lg: Ledger, target: str):
    return lg.reverse(entry_id=new_id(), target_id=target, reason="wrong", actor="staff", at=NOW)


def test_balance_is_charges_minus_payments_plus_refunds():
    lg = ledger()
    charge(lg, "85.00")
    pay(lg, "50")
    refund(lg, "10.50")
    assert lg.balance(Account.RENTAL).amount == Decimal("45.50")
    assert lg.balance().amount == Decimal("45.50")
    assert lg.balance(Account.DEPOSIT).amount == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("1.001", "at most 2 decimals"),
        (str(MAX_AMOUNT + 1), "at most"),
    ],
)
def test_bad_amounts_are_refused(amount, message):
    with pytest.raises(ValidationError, match=message):
        charge(ledger(), amount)


def test_amounts_follow_the_currency_decimals_and_refuse_floats():
    assert check_amount(Decimal("500"), "JPY").amount == 500
    with pytest.raises(ValidationError, match="at most 0 decimals"):
        check_amount(Decimal("1.5"), "JPY")
    assert check_amount(Decimal("1.500"), "BHD").amount == Decimal("1.5")
    assert check_amount(Decimal("1.50"), "EUR").amount == Decimal("1.5")  # trailing zeros
    with pytest.raises(TypeError):
        check_amount(1.5, "EUR")  # type: ignore[arg-type]


def test_a_refund_is_never_above_what_was_paid_on_that_account():
    lg = ledger()
    pay(lg, "30")
    pay(lg, "20", Account.DEPOSIT)
    with pytest.raises(ValidationError, match=r"30\.00"):
        refund(lg, "30.01")
    refund(lg, "25")
    with pytest.raises(ValidationError, match=r"5\.00"):
        refund(lg, "6")
    with pytest.raises(ValidationError):
        refund(lg, "21", Account.DEPOSIT)


def test_an_entry_is_reversed_once_and_a_reversal_is_not_reversed():
    lg = ledger()
    c = charge(lg, "40")
    r = reverse(lg, c.id)
    assert r.kind == EntryKind.CHARGE and r.reverses == c.id
    assert lg.balance().amount == 0
    with pytest.raises(ConflictError, match="already been reversed"):
        reverse(lg, c.id)
    with pytest.raises(ConflictError, match="itself a reversal"):
        reverse(lg, r.id)
    with pytest.raises(NotFoundError):
        reverse(lg, "nope")


def test_a_payment_that_was_refunded_cannot_be_reversed_before_the_refund():
    lg = ledger()
    p = pay(lg, "30")
    rf = refund(lg, "10")
    with pytest.raises(ConflictError, match="Reverse the refund first"):
        reverse(lg, p.id)
    reverse(lg, rf.id)
    reverse(lg, p.id)
    assert lg.balance().amount == 0


def test_payment_above_the_balance_warns():
    lg = ledger()
    charge(lg, "20")
    assert lg.payment_warnings(Decimal("20"), Account.RENTAL) == []
    [warning] = lg.payment_warnings(Decimal("20.01"), Account.RENTAL)
    assert warning.code == "more_than_due" and "€20.00" in warning.message


def test_deposit_state():
    lg = ledger()
    assert lg.deposit_state() == DepositState.NOT_PAID
    pay(lg, "100", Account.DEPOSIT)
    assert lg.deposit_state() == DepositState.HELD
    refund(lg, "70", Account.DEPOSIT)
    assert lg.deposit_state() == DepositState.PARTLY_RETAINED
    refund(lg, "30", Account.DEPOSIT)
    assert lg.deposit_state() == DepositState.RELEASED
    other = ledger()
    p = pay(other, "50", Account.DEPOSIT)
    reverse(other, p.id)
    assert other.deposit_state() == DepositState.NOT_PAID


# --- property-based ---------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
operations = st.lists(
    st.tuples(
        st.sampled_from(["charge", "pay", "refund", "reverse"]),
        st.sampled_from(list(Account)),
        amounts,
        st.integers(min_value=0, max_value=50),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_any_sequence_keeps_the_books_straight(ops):
    lg = ledger()
    for op, account, amount, pick in ops:
        try:
            if op == "charge":
                charge(lg, str(amount), account)
            elif op == "pay":
                pay(lg, str(amount), account)
            elif op == "refund":
                refund(lg, str(amount), account)
            elif lg.entries:
                reverse(lg, lg.entries[pick % len(lg.entries)].id)
        except (ValidationError, ConflictError):
            pass  # refused: nothing may have changed (checked below by the invariants)
        for acc in Account:
            totals = lg.totals(acc)
            # balance = charges − payments + refunds, every time
            assert lg.balance(acc) == totals.charged - totals.paid + totals.refunded
            # never more refunded than paid, never a negative deposit held
            assert totals.refunded <= totals.paid
            assert totals.paid.amount >= 0 and totals.charged.amount >= 0
        assert lg.balance() == lg.balance(Account.RENTAL) + lg.balance(Account.DEPOSIT)
        reversed_ids = [e.reverses for e in lg.entries if e.reverses]
        assert len(reversed_ids) == len(set(reversed_ids))  # each reversed at most once

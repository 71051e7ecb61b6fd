"""Deposits on the ledger (pure): charged per line and following changes, what is still due
before the hand-over, released in full or partly kept for damage, never twice, never more
than held; no sequence of valid operations makes a deposit negative (property-based); what
is due when for each policy setting."""

from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rental.payments.domain.deposits import (
    deposit_held,
    deposit_outstanding,
    follow_line_deposit,
    release_deposit,
)
from rental.payments.domain.due import what_is_due
from rental.payments.domain.ledger import Account, Category, DepositState, Ledger, Method
from rental.payments.domain.policy import DepositRule, PaymentPolicy, RentalDue
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.money import Money
from tests.unit.payments.test_ledger import charge, pay, refund, reverse

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
_ids = itertools.count()


def new_id() -> str:
    return f"d{next(_ids)}"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def follow(lg: Ledger, line: str, deposit: str | None, sequence: int = 1):
    return follow_line_deposit(
        lg,
        line_id=line,
        deposit=eur(deposit) if deposit is not None else None,
        reference=f"RK-{line}",
        sequence=sequence,
        actor="booking",
        at=NOW,
        new_id=new_id,
    )


def release(lg: Ledger, keep: str = "0", note: str = ""):
    return release_deposit(
        lg, keep=Decimal(keep), note=note, method=Method.CASH, actor="staff", at=NOW, new_id=new_id
    )


def held_ledger(deposit: str = "200") -> Ledger:
    lg = Ledger(order_id="o1", currency="EUR")
    follow(lg, "l1", deposit)
    pay(lg, deposit, Account.DEPOSIT)
    return lg


def test_a_line_deposit_is_charged_then_follows_its_changes():
    lg = Ledger(order_id="o1", currency="EUR")
    [first] = follow(lg, "l1", "100")
    assert first.account == Account.DEPOSIT and first.category == Category.DEPOSIT
    assert follow(lg, "l1", "100") == []  # the same deposit again: nothing
    follow(lg, "l1", "250", 2)
    assert lg.line_total("l1", Account.DEPOSIT) == eur("250")
    follow(lg, "l1", "50", 3)
    assert lg.line_total("l1", Account.DEPOSIT) == eur("50")
    assert lg.line_total("l1") == eur("0")  # the rental account is another matter
    assert follow(lg, "l1", None) == []  # an event from before deposits: nothing
    follow(lg, "l1", "0", 4)
    assert lg.balance(Account.DEPOSIT) == eur("0")


def test_what_is_still_due_before_the_hand_over():
    lg = held_ledger("200")
    assert deposit_outstanding(lg, {"l1": eur("200")}) is None  # paid
    follow(lg, "l2", "80")
    assert deposit_outstanding(lg, {"l1": eur("200"), "l2": eur("80")}) == eur("80")
    # A line Payments has not charged yet counts with Booking's figure.
    assert deposit_outstanding(lg, {"l3": eur("30")}) == eur("110")
    assert deposit_outstanding(None, {"l1": eur("45")}) == eur("45")
    assert deposit_outstanding(None, {}) is None


def test_release_in_full_refunds_all_and_settles_the_deposit_account():
    lg = held_ledger("200")
    done = release(lg)
    assert (done.held, done.retained, done.refunded) == (eur("200"), eur("0"), eur("200"))
    assert lg.deposit_state() == DepositState.RELEASED
    assert lg.balance(Account.DEPOSIT) == eur("0")
    # Released: a later change of the line charges no deposit again.
    assert follow(lg, "l1", "300", 5) == []


def test_release_partly_keeps_a_damage_charge_with_the_note():
    lg = held_ledger("200")
    done = release(lg, "45.50", "  Cracked   cover ")
    assert done.refunded == eur("154.50") and done.note == "Cracked cover"
    [damage] = [e for e in done.entries if e.category == Category.DAMAGE]
    assert damage.id == done.damage_entry_id and damage.reason == "Cracked cover"
    assert lg.deposit_state() == DepositState.PARTLY_RETAINED
    assert lg.balance(Account.DEPOSIT) == eur("0")


def test_keeping_all_of_it_refunds_nothing_and_is_not_held_any_more():
    lg = held_ledger("60")
    done = release(lg, "60", "Lost")
    assert done.refunded == eur("0") and lg.deposit_state() == DepositState.PARTLY_RETAINED
    with pytest.raises(ConflictError, match="released already"):
        release(lg)


@pytest.mark.parametrize(
    ("keep", "note", "error", "match"),
    [
        ("-0.01", "x", ValidationError, "negative"),
        ("200.01", "x", ValidationError, "at most the deposit held"),
        ("1.005", "x", ValidationError, "decimals"),
        ("NaN", "x", ValidationError, "number"),
        ("10", "   ", ValidationError, "note is needed"),
        ("10", "x" * 501, ValidationError, "500 characters"),
    ],
)
def test_bad_releases_are_refused_and_append_nothing(keep, note, error, match):
    lg = held_ledger("200")
    before = list(lg.entries)
    with pytest.raises(error, match=match):
        release(lg, keep, note)
    assert lg.entries == before
    assert lg.deposit_state() == DepositState.HELD


def test_nothing_held_nothing_to_release_and_never_twice():
    lg = Ledger(order_id="o1", currency="EUR")
    follow(lg, "l1", "100")
    with pytest.raises(ConflictError, match="nothing to release"):
        release(lg)
    pay(lg, "100", Account.DEPOSIT)
    release(lg)
    entries = list(lg.entries)
    with pytest.raises(ConflictError, match="cannot be released twice"):
        release(lg)
    assert lg.entries == entries


def test_a_float_is_a_programming_error():
    with pytest.raises(TypeError):
        release_deposit(
            held_ledger(),
            keep=1.5,  # type: ignore[arg-type]
            note="x",
            method=Method.CASH,
            actor="s",
            at=NOW,
            new_id=new_id,
        )


# --- property-based ---------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)
operations = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "pay", "refund", "release", "charge", "reverse"]),
        amounts,
        st.integers(min_value=0, max_value=40),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_no_sequence_of_operations_makes_a_deposit_negative(ops):
    lg = Ledger(order_id="o1", currency="EUR")
    for op, amount, pick in ops:
        before = copy.deepcopy(lg.entries)
        try:
            if op == "deposit":
                follow(lg, f"l{pick % 3}", str(amount), sequence=pick)
            elif op == "pay":
                pay(lg, str(amount), Account.DEPOSIT)
            elif op == "refund":
                refund(lg, str(amount), Account.DEPOSIT)
            elif op == "charge":
                charge(lg, str(amount), Account.DEPOSIT, category=Category.DAMAGE)
            elif op == "release":
                held = deposit_held(lg)
                keep = min(amount, held.amount) if pick % 2 else Decimal(0)
                state = lg.deposit_state()
                result = release(lg, str(keep), "damage")
                assert state == DepositState.HELD  # only a held deposit is released
                assert result.retained + result.refunded == result.held == held
                assert lg.deposit_state() in (DepositState.RELEASED, DepositState.PARTLY_RETAINED)
            elif lg.entries:
                reverse(lg, lg.entries[pick % len(lg.entries)].id)
        except (ValidationError, ConflictError):
            assert lg.entries == before  # refused: nothing appended
        totals = lg.totals(Account.DEPOSIT)
        # The deposit held is never negative, nor anything charged, paid or refunded on it.
        assert deposit_held(lg).amount >= 0
        assert totals.charged.amount >= 0 and totals.paid.amount >= 0
        assert totals.refunded.amount >= 0
        for line in ("l0", "l1", "l2"):
            assert lg.line_total(line, Account.DEPOSIT).amount >= 0


# --- what is due when ---------------------------------------------------------------------------


def test_what_is_due_when_for_each_policy_setting():
    total, deposit = eur("120"), eur("200")
    rental, dep = what_is_due(PaymentPolicy(), total, deposit)
    assert (rental.amount, rental.when) == (total, "Pay at pick-up.")
    assert dep.amount == deposit and dep.when.startswith("Due before pick-up")
    policy = replace(PaymentPolicy(), rental_due=RentalDue.BY_INVOICE, invoice_days=1)
    assert what_is_due(policy, total, None)[0].when == (
        "Pay by bank transfer within 1 day of the invoice."
    )
    policy = replace(policy, invoice_days=0)
    assert "when you receive the invoice" in what_is_due(policy, total, None)[0].when
    policy = replace(PaymentPolicy(), rental_due=RentalDue.AT_RETURN, deposit=DepositRule.OPTIONAL)
    rental, dep = what_is_due(policy, total, deposit)
    assert rental.when == "Pay when you bring the equipment back."
    assert dep.when.startswith("We may ask for it at pick-up")
    assert [i.code for i in what_is_due(PaymentPolicy(), total, eur("0"))] == ["rental"]


def test_what_an_invoice_counts_damage_kept_from_the_deposit_as_charged_and_paid():
    """The deposit held is neither charged nor paid on an invoice; once €50 of it is kept for
    damage, that €50 is a charge beside the lines and paid by the deposit kept."""
    lg = Ledger(order_id="o1", currency="EUR")
    follow(lg, "l1", "200.00")
    pay(lg, "200.00", Account.DEPOSIT)
    pay(lg, "70.00")
    charge(lg, "30.00", category=Category.LATE_FEE)
    assert [e.amount for e in lg.extra_charges()] == [eur("30.00")]
    assert lg.paid_towards_charges() == eur("70.00")  # the deposit held pays nothing yet
    release(lg, keep="50", note="Dented plate")
    assert sorted(e.amount.amount for e in lg.extra_charges()) == [Decimal("30"), Decimal("50")]
    assert lg.paid_towards_charges() == eur("120.00")  # 70 paid + 50 kept
    assert lg.deposit_state() == DepositState.PARTLY_RETAINED

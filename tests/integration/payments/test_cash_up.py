"""The day-end cash-up on /admin/payments (SQLite and PostgreSQL): the day's payments and
refunds with totals per method, reversed entries shown and not counted, the local day's window
in UTC (a clock-change day has 23 hours), previous/next day, the empty state, a day that is
not a date answered with 422, staff only."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update

from rental.extensions import db
from rental.payments import (
    Account,
    IssueRefund,
    Method,
    PaymentsFacade,
    ReverseEntry,
)
from rental.payments.application.queries import day_window
from rental.payments.infrastructure.entities import EntryEntity
from rental.shared.time_range import utcnow
from tests.integration.payments.test_ledger import confirmed_order, pay

BERLIN = ZoneInfo("Europe/Berlin")


def at(entry_id: str, when: datetime) -> None:
    """Move an entry to another moment (the cash-up reads when it was recorded)."""
    db.session.execute(
        update(EntryEntity).where(EntryEntity.id == entry_id).values(recorded_at=when)
    )
    db.session.commit()


def refund(order_id: str, amount: str, method: Method = Method.CASH) -> str:
    return PaymentsFacade().issue_refund(
        IssueRefund(
            order_id=order_id,
            amount=Decimal(amount),
            method=method,
            account=Account.RENTAL,
            actor="staff@example.com",
            reason="goodwill",
        )
    )


def reverse(order_id: str, entry_id: str) -> str:
    return PaymentsFacade().reverse_entry(
        ReverseEntry(
            order_id=order_id,
            entry_id=entry_id,
            reason="typed twice",
            actor="boss@example.com",
            confirmed=frozenset({"reverse"}),
        )
    )


def words(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def test_the_day_with_totals_per_method_and_reversed_entries_not_counted(app, staff_client):
    rid, order_id = confirmed_order()  # €80 charged
    _, other = confirmed_order()
    pay(order_id, "50", method=Method.CASH, reference="till 1")
    pay(order_id, "30", method=Method.CARD_TERMINAL)
    pay(other, "20", method=Method.BANK_TRANSFER)
    twice = pay(other, "20", method=Method.BANK_TRANSFER)
    reverse(other, twice)
    refund(order_id, "10")
    view = PaymentsFacade().cash_up(utcnow().date(), UTC)
    db.session.rollback()
    [totals] = view.totals
    by_method = {m.method: m for m in totals.methods}
    assert by_method["cash"].payments.amount == Decimal("50")
    assert by_method["cash"].refunds.amount == Decimal("10")
    assert by_method["cash"].net.amount == Decimal("40")
    assert by_method["card_terminal"].net.amount == Decimal("30")
    assert by_method["bank_transfer"].net.amount == Decimal("20")  # the reversed 20 not counted
    assert by_method["other"].net.is_zero
    assert totals.net.amount == Decimal("90")
    assert [e.counted for e in view.entries] == [True, True, True, False, False, True]
    # The page: staff only (see below), the same numbers, links to the reservation page.
    page = staff_client.get("/admin/payments")
    assert page.status_code == 200
    body = words(page)
    assert "Net total €90.00 €100.00 €10.00" in body
    assert "Cash €40.00 €50.00 €10.00" in body
    assert "(reversed " in body and "not counted" in body and "till 1" in body
    assert f'href="/admin/reservations/{rid}"' in page.get_data(as_text=True)


def test_a_clock_change_day_has_23_hours_and_its_own_window(app):
    day = date(2026, 3, 29)  # Europe/Berlin: 02:00 CET -> 03:00 CEST
    start, end = day_window(day, BERLIN)
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert day_window(date(2026, 10, 25), BERLIN)[1] - day_window(date(2026, 10, 25), BERLIN)[
        0
    ] == (datetime(2026, 10, 25, 23, tzinfo=UTC) - datetime(2026, 10, 24, 22, tzinfo=UTC))
    _, order_id = confirmed_order()
    moments = {
        "28th, 23:30 local": datetime(2026, 3, 28, 22, 30, tzinfo=UTC),
        "29th, 00:30 local": datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
        "29th, 23:30 CEST": datetime(2026, 3, 29, 21, 30, tzinfo=UTC),
        "30th, 00:30 CEST": datetime(2026, 3, 29, 22, 30, tzinfo=UTC),
    }
    ids = {}
    for name, when in moments.items():
        ids[name] = pay(order_id, "1", method=Method.CASH)
        at(ids[name], when)
    view = PaymentsFacade().cash_up(day, BERLIN)
    db.session.rollback()
    assert view.hours == 23
    assert [e.id for e in view.entries] == [ids["29th, 00:30 local"], ids["29th, 23:30 CEST"]]
    assert view.totals[0].net.amount == Decimal("2")
    in_utc = PaymentsFacade().cash_up(day, UTC)
    db.session.rollback()
    assert [e.id for e in in_utc.entries] == [ids["29th, 23:30 CEST"], ids["30th, 00:30 CEST"]]


def test_another_day_previous_next_and_the_empty_state(app, staff_client):
    _, order_id = confirmed_order()
    entry = pay(order_id, "12.50")
    at(entry, datetime(2030, 5, 6, 12, 0, tzinfo=UTC))
    body = words(staff_client.get("/admin/payments?day=2030-05-06"))
    assert "Payments on Mon 06 May 2030" in body and "€12.50" in body
    raw = staff_client.get("/admin/payments?day=2030-05-06").get_data(as_text=True)
    assert 'href="/admin/payments?day=2030-05-05"' in raw
    assert 'href="/admin/payments?day=2030-05-07"' in raw
    empty = staff_client.get("/admin/payments?day=2030-05-07")
    assert empty.status_code == 200 and 'id="cashup-empty"' in empty.get_data(as_text=True)


def test_a_day_that_is_not_a_date_is_answered_next_to_the_field(app, staff_client):
    for bad in ("yesterday", "2030-02-30", "2030-13-01", "9" * 300):
        answer = staff_client.get("/admin/payments", query_string={"day": bad})
        assert answer.status_code == 422
        body = answer.get_data(as_text=True)
        assert 'id="day-error"' in body and 'aria-invalid="true"' in body


def test_staff_only(app, client):
    answer = client.get("/admin/payments")
    assert answer.status_code in (302, 303, 401, 403)
    assert "cashup" not in answer.get_data(as_text=True)


def test_in_the_admin_menu(app, staff_client):
    raw = staff_client.get("/admin/payments").get_data(as_text=True)
    assert '<a href="/admin/payments"' in raw and ">Payments<" in raw

"""The e-mails that follow a booking after its confirmation, on SQLite and PostgreSQL, through
a real SMTP server (aiosmtpd, see test_mail.py): "booking changed" (one per change, what
changed, the new total), the pick-up reminder and "return due today" (the worker's jobs, run
in process with the notifications clock moved instead of waiting: N hours, the switches, a
moved start, run twice → one mail, one refused mail does not stop the others), the overdue
notice and the shop's overdue alert (once per order and due time), an anonymised customer
(no mail, no error), and the settings form at /admin/mail/settings."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rental.booking import (
    AddOrderLine,
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.notifications import FAILED, SENT, NotificationSettings, NotificationsFacade
from rental.notifications.application import jobs
from rental.shared.jobs import periodic_jobs
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import TimeRange, utcnow
from rental.shared.web import format_datetime, format_period
from tests.integration.booking.test_servable_bookings import into_the_past
from tests.integration.notifications import test_mail
from tests.integration.notifications.test_mail import (
    Sink,
    customer_email,
    drain,
    parts,
    recorded,
    to,
)
from tests.support.auth import csrf_token
from tests.support.deposits import take_deposit
from tests.support.fleet import make_customer, make_type, tomorrow_at

smtp = test_mail.smtp  # the real SMTP server fixture

STAFF = "staff@example.com"


def place(period: TimeRange, *lines: OrderLine, customer: str | None = None):
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            customer or make_customer(),
            lines,
            period,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,  # no staff alert in the way
        )
    )
    booking.confirm_reservation(order.first.id)
    db.session.rollback()
    return order


def one_line(period: TimeRange, *, customer: str | None = None, quantity: int = 1):
    fleet = make_type(hourly="20.00", deposit=None)
    return place(period, OrderLine(quantity, equipment_type_id=fleet.type_id), customer=customer)


def in_three_days() -> TimeRange:
    return TimeRange(tomorrow_at(9, days=3), tomorrow_at(13, days=3))


def at(monkeypatch, app, moment: datetime) -> None:
    """The notifications clock (the jobs' "now")."""
    monkeypatch.setitem(app.extensions, "notifications.clock", lambda: moment)


def subject(message) -> str:
    """The subject as a mail program shows it: a long non-ASCII subject is folded before its
    first encoded word, which the parser keeps as a leading space."""
    return str(message["Subject"]).strip()


def mails_to(smtp: Sink, address: str, subject_part: str = "") -> list:
    return [m for m in smtp.messages if to(m) == address and subject_part in subject(m)]


def order_now(order_id: str):
    order = BookingFacade().get_order(order_id)
    db.session.rollback()
    return order


def redeliver_all() -> None:
    """Every event handled again, as after a crash between sending and committing."""
    db.session.execute(OutboxMessageEntity.__table__.update().values(processed_at=None, attempts=0))
    db.session.execute(db.text("DELETE FROM outbox_inbox WHERE handler LIKE 'notifications.%'"))
    db.session.commit()
    drain()


# --- booking changed -----------------------------------------------------------------------------


def test_a_change_sends_one_mail_for_the_order_and_a_second_change_another(app, smtp):
    period = TimeRange(tomorrow_at(9), tomorrow_at(13))
    generator = make_type(hourly="20.00", deposit=None)
    light = make_type(hourly="5.00", name="Light", deposit=None)
    order = place(
        period,
        OrderLine(1, equipment_type_id=generator.type_id),
        OrderLine(2, equipment_type_id=light.type_id),
    )
    drain()
    address = customer_email(order.customer_id)
    later = TimeRange(tomorrow_at(10), tomorrow_at(15))
    # Changed through the second line: the first moves along (two events, one mail).
    BookingFacade().change_reservation(ChangeReservation(order.lines[1].id, later, 2))
    drain()
    changed = mails_to(smtp, address, "changed")
    assert len(changed) == 1, "one mail for the change, not one per line"
    assert subject(changed[0]) == f"Booking changed: {order.reference} – Hafen Hire"
    now = order_now(order.id)
    assert now.total.format() == "€150.00"  # 5 h × €20 + 2 × 5 h × €5
    text, html = parts(changed[0])
    for part in (text, html):
        assert format_period(period) in part and format_period(later) in part
        assert "€150.00" in part and order.reference in part
        assert "https://hire.example/r/" in part
        assert "Hafenstraße 12" in part
    assert f"{format_period(period)} → {format_period(later)}" in text
    redeliver_all()
    assert len(mails_to(smtp, address, "changed")) == 1, "a redelivery sends nothing again"
    # A second, real change: another mail, saying what changed this time.
    BookingFacade().change_reservation(ChangeReservation(order.lines[0].id, later, 2))
    drain()
    changed = mails_to(smtp, address, "changed")
    assert len(changed) == 2
    text, html = parts(changed[1])
    assert "2" in text and "€250.00" in text and "€250.00" in html
    assert "How many (Generator" in text and ": 1 → 2" in text
    assert "desk@hafen.example" not in {to(m) for m in changed}
    rows = [r for r in recorded() if r.template == "order_changed"]
    assert len(rows) == 2 and all(r.status == SENT and r.order_id == order.id for r in rows)


def test_a_line_added_to_a_confirmed_booking_is_a_change_but_the_booked_lines_are_not(app, smtp):
    period = TimeRange(tomorrow_at(9), tomorrow_at(13))
    generator = make_type(hourly="20.00", deposit=None)
    order = place(
        period,
        OrderLine(1, equipment_type_id=generator.type_id),
        OrderLine(
            1, equipment_type_id=make_type(hourly="5.00", name="Cable", deposit=None).type_id
        ),
    )
    drain()
    address = customer_email(order.customer_id)
    assert mails_to(smtp, address, "changed") == [], "the booked lines are in the confirmation"
    light = make_type(hourly="5.00", name="Light", deposit=None)
    BookingFacade().add_order_line(
        AddOrderLine(order.id, OrderLine(2, equipment_type_id=light.type_id))
    )
    drain()
    redeliver_all()
    (changed,) = mails_to(smtp, address, "changed")
    text, html = parts(changed)
    assert "- Added: 2 × Light" in text and "→" not in text
    assert "€140.00" in text and "€140.00" in html
    assert len(mails_to(smtp, address, "confirmed")) == 1


def test_a_booking_moved_to_another_type_says_so(app, smtp):
    order = one_line(TimeRange(tomorrow_at(9), tomorrow_at(13)))
    drain()
    light = make_type(hourly="5.00", name="Light", deposit=None)
    BookingFacade().change_type(order.first.id, light.type_id)
    drain()
    (changed,) = mails_to(smtp, customer_email(order.customer_id), "changed")
    text, html = parts(changed)
    assert "Item: Generator" in text and "→ Light" in text and "€20.00" in text
    assert "Light" in html and "When" not in text.split("Your booking as it is now")[0]


def test_an_anonymised_customer_gets_no_change_mail_and_no_error(app, smtp):
    customer = make_customer()
    order = one_line(TimeRange(tomorrow_at(9), tomorrow_at(13)), customer=customer)
    drain()
    CustomerFacade().anonymise_customer(customer)
    db.session.rollback()
    smtp.messages.clear()
    later = TimeRange(tomorrow_at(10), tomorrow_at(14))
    BookingFacade().change_reservation(ChangeReservation(order.first.id, later, 1))
    drain()
    assert smtp.messages == []
    pending = db.session.scalars(
        select(OutboxMessageEntity).where(OutboxMessageEntity.processed_at.is_(None))
    ).all()
    assert pending == [], "handled, nothing left to retry"


# --- the pick-up reminder ------------------------------------------------------------------------


def test_one_reminder_within_the_hours_before_the_pick_up_and_run_twice_sends_it_once(
    app, smtp, monkeypatch
):
    order = one_line(in_three_days())
    drain()
    address = customer_email(order.customer_id)
    start = order.period.start
    at(monkeypatch, app, start - timedelta(hours=25))
    assert jobs.send_pickup_reminders() == 0, "not yet: 24 hours before by default"
    at(monkeypatch, app, start - timedelta(hours=23))
    assert jobs.send_pickup_reminders() == 1
    assert jobs.send_pickup_reminders() == 0
    (reminder,) = mails_to(smtp, address, "Reminder")
    assert subject(reminder) == f"Reminder: your pick-up {order.reference} – Hafen Hire"
    text, html = parts(reminder)
    for part in (text, html):
        assert order.reference in part and format_datetime(start) in part
        assert "Hafenstraße 12" in part and "€80.00" in part
        assert "https://hire.example/r/" in part
    assert [r.status for r in recorded() if r.template == "pickup_reminder"] == [SENT]


def test_the_reminder_respects_the_hours_and_the_switch(app, smtp, monkeypatch):
    order = one_line(in_three_days())
    drain()
    start = order.period.start
    NotificationsFacade().save_settings(NotificationSettings(reminder_hours=12), utcnow())
    at(monkeypatch, app, start - timedelta(hours=20))
    assert jobs.send_pickup_reminders() == 0, "12 hours before, not 20"
    NotificationsFacade().save_settings(
        NotificationSettings(reminders_enabled=False, reminder_hours=12), utcnow()
    )
    at(monkeypatch, app, start - timedelta(hours=11))
    assert jobs.send_pickup_reminders() == 0, "switched off"
    NotificationsFacade().save_settings(NotificationSettings(reminder_hours=12), utcnow())
    assert jobs.send_pickup_reminders() == 1


def test_a_moved_start_gets_a_new_reminder(app, smtp, monkeypatch):
    order = one_line(in_three_days())
    drain()
    address = customer_email(order.customer_id)
    at(monkeypatch, app, order.period.start - timedelta(hours=20))
    assert jobs.send_pickup_reminders() == 1
    a_day_later = TimeRange(tomorrow_at(9, days=4), tomorrow_at(13, days=4))
    BookingFacade().change_reservation(ChangeReservation(order.first.id, a_day_later, 1))
    drain()
    assert jobs.send_pickup_reminders() == 0, "the new start is not within 24 hours yet"
    at(monkeypatch, app, a_day_later.start - timedelta(hours=20))
    assert jobs.send_pickup_reminders() == 1
    reminders = mails_to(smtp, address, "Reminder")
    assert len(reminders) == 2
    assert format_datetime(a_day_later.start) in parts(reminders[1])[0]


def soon_within_opening_hours(now: datetime) -> TimeRange:
    """Two hours that start within the next day, whatever the time of day the suite runs, and
    that the shop takes (open 07:00–20:00 UTC, same-day bookings until 15:00): today from two
    hours on when that is still possible, else tomorrow at 07:00. (Now + 8 hours, as it was,
    ran past closing time for a suite started after 08:00.)"""
    start = max(
        now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2),
        now.replace(hour=7, minute=0, second=0, microsecond=0),
    )
    if now.hour >= 15 or start.date() != now.date() or start.hour + 2 > 20:
        start = now.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return TimeRange(start, start + timedelta(hours=2))


def test_no_reminder_when_cancelled_anonymised_or_booked_inside_the_window(app, smtp, monkeypatch):
    cancelled = one_line(in_three_days())
    BookingFacade().cancel_reservation(cancelled.first.id, "Changed plans")
    customer = make_customer()
    one_line(in_three_days(), customer=customer)
    CustomerFacade().anonymise_customer(customer)
    db.session.rollback()
    # Booked now for a start within the reminder window: the confirmation has just said it all.
    booked_soon = one_line(soon_within_opening_hours(datetime.now(UTC)))
    drain()
    smtp.messages.clear()
    at(monkeypatch, app, in_three_days().start - timedelta(hours=20))
    assert jobs.send_pickup_reminders() == 0
    at(monkeypatch, app, booked_soon.period.start - timedelta(hours=10))
    assert jobs.send_pickup_reminders() == 0
    assert smtp.messages == []


def test_one_refused_reminder_does_not_stop_the_others_and_goes_out_on_a_later_run(
    app, smtp, monkeypatch, caplog
):
    refused_customer = make_customer()
    refused = customer_email(refused_customer)
    first = one_line(in_three_days(), customer=refused_customer)
    second = one_line(in_three_days())
    drain()
    smtp.messages.clear()

    refusing = {refused}

    async def picky(server, session, envelope):
        if refusing & set(envelope.rcpt_tos):
            return "550 5.1.1 Mailbox unavailable"
        return await Sink.handle_DATA(smtp, server, session, envelope)

    monkeypatch.setattr(smtp, "handle_DATA", picky)
    caplog.set_level(logging.WARNING, logger="rental.notifications.application.jobs")
    at(monkeypatch, app, first.period.start - timedelta(hours=20))
    assert jobs.send_pickup_reminders() == 1
    assert [to(m) for m in smtp.messages] == [customer_email(second.customer_id)]
    rows = {r.order_id: r for r in recorded() if r.template == "pickup_reminder"}
    assert rows[first.id].status == FAILED and rows[second.id].status == SENT
    lines = [r for r in caplog.records if r.name == "rental.notifications.application.jobs"]
    assert len(lines) == 1 and lines[0].exc_info is None and "\n" not in lines[0].getMessage()
    assert "not sent" in lines[0].getMessage()
    refusing.clear()  # the server takes it again
    at(monkeypatch, app, first.period.start - timedelta(hours=19))
    assert jobs.send_pickup_reminders() == 1
    assert sorted(to(m) for m in smtp.messages) == sorted(
        [refused, customer_email(second.customer_id)]
    )
    rows = {r.order_id: r for r in recorded() if r.template == "pickup_reminder"}
    assert rows[first.id].status == SENT and rows[first.id].attempts == 2


# --- return due today, overdue -------------------------------------------------------------------


def on_hire(*, quantity: int = 1, customer: str | None = None):
    """A two-day hire from tomorrow 09:00 to the day after 17:00, handed over now."""
    order = one_line(
        TimeRange(tomorrow_at(9), tomorrow_at(17, days=2)), customer=customer, quantity=quantity
    )
    drain()
    take_deposit(order.first.id)
    BookingFacade().hand_over(order.first.id, STAFF)
    db.session.rollback()
    drain()
    return order


def test_return_due_today_goes_out_from_seven_once_per_order(app, smtp, monkeypatch):
    order = on_hire()
    address = customer_email(order.customer_id)
    smtp.messages.clear()
    due = tomorrow_at(17, days=2)
    at(monkeypatch, app, tomorrow_at(18))  # the day before: not today
    assert jobs.send_return_due() == 0
    at(monkeypatch, app, tomorrow_at(6, 30, days=2))  # the day, before 07:00 (the shop is UTC)
    assert jobs.send_return_due() == 0
    at(monkeypatch, app, tomorrow_at(7, 5, days=2))
    assert jobs.send_return_due() == 1
    assert jobs.send_return_due() == 0
    (mail,) = mails_to(smtp, address, "due back today")
    assert subject(mail) == f"Your rental {order.reference} is due back today – Hafen Hire"
    text, html = parts(mail)
    for part in (text, html):
        assert format_datetime(due) in part and order.reference in part
        assert "Hafenstraße 12" in part and "https://hire.example/r/" in part
        assert "Return to" in part and "Pick-up at" not in part


def test_return_due_today_waits_for_seven_on_the_shops_clock(berlin_app, monkeypatch):
    """Europe/Berlin: 07:00 there, whatever UTC says (the .eml backend: no server needed)."""
    berlin = ZoneInfo("Europe/Berlin")
    order = on_hire()
    day = tomorrow_at(17, days=2).astimezone(berlin).date()
    at(monkeypatch, berlin_app, datetime.combine(day, time(6, 55), tzinfo=berlin))
    assert jobs.send_return_due() == 0
    at(monkeypatch, berlin_app, datetime.combine(day, time(7, 0), tzinfo=berlin))
    assert jobs.send_return_due() == 1
    assert [r.key for r in recorded() if r.template == "return_due"] == [
        f"return_due:{order.id}:{day:%Y%m%d}"
    ]
    assert "notifications.return_due" in {job.name for job in periodic_jobs()}


def test_return_due_today_can_be_switched_off(app, smtp, monkeypatch):
    on_hire()
    NotificationsFacade().save_settings(NotificationSettings(return_due_enabled=False), utcnow())
    at(monkeypatch, app, tomorrow_at(8, days=2))
    assert jobs.send_return_due() == 0


def overdue_job() -> None:
    InventoryFacade().notice_overdue_returns()  # the real job function, in process
    drain()


def test_an_overdue_return_tells_the_customer_and_alerts_the_shop_once(app, smtp):
    order = on_hire(quantity=2)
    address = customer_email(order.customer_id)
    smtp.messages.clear()
    into_the_past(order.first.id, ended=2)  # two hours late (the grace is 30 minutes)
    overdue_job()
    due = order_now(order.id).period.end
    (notice,) = mails_to(smtp, address)  # two items late: one notice
    assert subject(notice) == (
        f"Please return your rental: {order.reference} is overdue – Hafen Hire"
    )
    serials = [
        a.serial_number for a in InventoryFacade().list_allocations_for_reservation(order.first.id)
    ]
    db.session.rollback()
    text, html = parts(notice)
    for part in (text, html):
        assert format_datetime(due, with_year=True) in part
        assert all(serial in part for serial in serials)
        assert "+49 40 999888" in part and "Hafenstraße 12" in part
        assert "Late returns may be charged from the rate card." in part  # it has a rate card
        assert "Return to" in part and "Mon–Sun 07:00–20:00" in part  # where, and when open
        assert "€480.00" in part and "https://hire.example/r/" in part  # total, manage link
    (alert,) = mails_to(smtp, "desk@hafen.example")
    assert subject(alert) == f"Overdue: {order.reference} is not back"
    text, _ = parts(alert)
    assert "+49 30 1234567" in text and address in text and serials[0] in text
    assert "/admin/reservations/" in text and "/r/" not in text
    overdue_job()
    redeliver_all()
    assert len(smtp.messages) == 2, "once per order and due time"


def test_the_overdue_notice_speaks_of_no_late_fee_where_none_would_be_charged(app, smtp):
    """A type without a rate card (its card removed since the booking): nothing to price a
    late fee by, so the notice does not mention one."""
    from rental.pricing.infrastructure.entities import RateCardEntity

    order = on_hire()
    address = customer_email(order.customer_id)
    db.session.execute(
        RateCardEntity.__table__.delete().where(
            RateCardEntity.equipment_type_id == order.first.equipment_type_id
        )
    )
    db.session.commit()
    into_the_past(order.first.id, ended=2)
    overdue_job()
    (notice,) = mails_to(smtp, address, "overdue")
    text, html = parts(notice)
    assert "Not back yet" in text and "late fee" not in text.lower()
    assert "rate card" not in text and "rate card" not in html


def test_an_anonymised_customer_gets_no_overdue_notice_but_the_shop_is_alerted(app, smtp):
    customer = make_customer()
    order = on_hire(customer=customer)
    CustomerFacade().anonymise_customer(customer)
    db.session.rollback()
    smtp.messages.clear()
    into_the_past(order.first.id, ended=2)
    overdue_job()
    assert [to(m) for m in smtp.messages] == ["desk@hafen.example"]
    assert "(anonymised)" in parts(smtp.messages[0])[0]


# --- the settings form ---------------------------------------------------------------------------


SETTINGS = "/admin/mail/settings"


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "from 1 to 168"),
        ("200", "from 1 to 168"),
        ("abc", "from 1 to 168"),
        ("12.5", "from 1 to 168"),
        (None, "how many hours"),
    ],
)
def test_bad_hours_are_refused_next_to_the_field_and_nothing_changes(
    app, admin_client, hours, message
):
    NotificationsFacade().save_settings(NotificationSettings(reminder_hours=24), utcnow())
    data = {"csrf_token": csrf_token(admin_client, SETTINGS), "return_due_enabled": "on"}
    if hours is not None:
        data["reminder_hours"] = hours
    response = admin_client.post(SETTINGS, data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="reminder_hours-error"' in body and message in body
    assert 'aria-invalid="true"' in body
    assert NotificationsFacade().get_settings() == NotificationSettings(reminder_hours=24)


def test_staff_read_the_settings_and_only_an_admin_changes_them(app, admin_client, staff_client):
    page = staff_client.get(SETTINGS)
    assert page.status_code == 200 and "Only administrators" in page.get_data(as_text=True)
    token = csrf_token(staff_client, SETTINGS)
    refused = staff_client.post(SETTINGS, data={"csrf_token": token, "reminder_hours": "48"})
    assert refused.status_code == 403
    assert NotificationsFacade().get_settings() == NotificationSettings()
    token = csrf_token(admin_client, SETTINGS)
    saved = admin_client.post(SETTINGS, data={"csrf_token": token, "reminder_hours": "48"})
    assert saved.status_code == 303
    assert NotificationsFacade().get_settings() == NotificationSettings(
        reminders_enabled=False, reminder_hours=48, return_due_enabled=False
    )
    body = admin_client.get(SETTINGS).get_data(as_text=True)
    assert 'value="48"' in body and "checked" not in body
    assert admin_client.post(SETTINGS, data={"reminder_hours": "12"}).status_code == 400
    assert NotificationsFacade().get_settings().reminder_hours == 48, "no CSRF token: nothing saved"
    listing = staff_client.get("/admin/mail").get_data(as_text=True)
    assert 'id="mail-settings-link"' in listing

"""The e-mails of rental/notifications on SQLite and PostgreSQL, through a real SMTP server
the test starts (aiosmtpd on a free port): the order confirmation (one per order, both parts,
the signed link that opens the manage page), the cancellation with its reason and fee, the
staff alert; an SMTP server down or refusing (the outbox retries, then dead-letters; the
booking stands; the failure is recorded); an anonymised customer (no mail, no error); the
file backend's .eml; /admin/mail for staff only."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from rental.booking import (
    BookingChannel,
    BookingFacade,
    OrderLine,
    PlaceOrder,
    PricingBasis,
    ReservationStatus,
)
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.notifications import FAILED, SENT
from rental.notifications.infrastructure.entities import MailMessageEntity
from rental.payments import FeeKind
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor, OutboxSettings
from rental.shared.time_range import TimeRange
from rental.shop import SaveShopSettings, ShopFacade
from tests.integration.payments.test_cancellation_fee import fee_policy
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.locks import wait_until_blocked

SHOP = SaveShopSettings(
    name="Hafen Hire",
    address="Hafenstraße 12\n20457 Hamburg",
    phone="+49 40 999888",
    email="desk@hafen.example",
    week=(("07:00", "20:00"),) * 7,
)


@dataclass
class Sink:
    """What the SMTP server received; `refuse`: answer every message with 554."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False
    port: int = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        if self.refuse:
            return "554 5.7.1 Message refused"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[Sink]:
    sink = Sink()
    port = sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "bookings@hafen.example",
        "PUBLIC_URL": "https://hire.example",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    ShopFacade().save_settings(SHOP)
    try:
        yield sink
    finally:
        controller.stop()


def drain(processor: OutboxProcessor | None = None) -> None:
    processor = processor or OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def place(*lines: OrderLine, channel=BookingChannel.ONLINE, customer: str | None = None):
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            customer or make_customer(),
            lines,
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=channel,
        )
    )
    booking.confirm_reservation(order.first.id)
    db.session.rollback()
    return order


def two_line_order(**kw):
    """A generator (4 h × €20 = €80.00) and two lights (2 × 4 h × €5 = €40.00): €120.00."""
    return place(
        OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id),
        OrderLine(
            2, equipment_type_id=make_type(hourly="5.00", name="Light", deposit=None).type_id
        ),
        **kw,
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def to(message: EmailMessage) -> str:
    return str(message["To"])


def recorded() -> list[MailMessageEntity]:
    rows = list(db.session.scalars(select(MailMessageEntity).order_by(MailMessageEntity.key)))
    db.session.rollback()
    return rows


def customer_email(customer_id: str) -> str:
    email_ = CustomerFacade().get_customer_by_id(customer_id).email
    db.session.rollback()
    return email_


# --- order confirmed ----------------------------------------------------------------------------


def test_one_confirmation_per_order_with_both_parts_and_a_signed_link_that_opens_it(
    app, smtp, client
):
    order = two_line_order()
    drain()
    address = customer_email(order.customer_id)
    mine = [m for m in smtp.messages if to(m) == address]
    assert len(mine) == 1, "one mail per order, not one per line"
    message = mine[0]
    assert message["Subject"] == f"Booking confirmed: {order.reference} – Hafen Hire"
    assert "Hafen Hire" in str(message["From"]) and "bookings@hafen.example" in str(message["From"])
    text, html = parts(message)
    for part in (text, html):
        assert order.reference in part
        assert "Generator" in part and "Light" in part
        assert "€120.00" in part and "€80.00" in part and "€40.00" in part
        assert "Hafenstraße 12" in part
    link = re.search(r"https://hire\.example(/r/[^\s\"<]+)", text)
    assert link and link.group(0) in html
    path = link.group(1)
    assert path.startswith(f"/r/{order.reference}/")
    page = client.get(path)
    assert page.status_code == 200
    assert order.reference in page.get_data(as_text=True)
    # A tampered signature opens nothing.
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    rows = [r for r in recorded() if r.template == "order_confirmed"]
    assert len(rows) == 1 and rows[0].status == SENT and rows[0].to_address == address
    assert rows[0].order_id == order.id and rows[0].order_reference == order.reference
    assert rows[0].message_id == str(message["Message-ID"])
    # Redelivering everything sends nothing again.
    db.session.execute(
        OutboxMessageEntity.__table__.update().values(
            processed_at=None, attempts=0, available_at=OutboxMessageEntity.occurred_at
        )
    )
    db.session.execute(db.text("DELETE FROM outbox_inbox WHERE handler LIKE 'notifications.%'"))
    db.session.commit()
    count = len(smtp.messages)
    drain()
    assert len(smtp.messages) == count


def test_staff_get_an_alert_for_a_new_online_or_api_order_but_not_for_their_own(app, smtp):
    online = two_line_order()
    drain()
    alerts = [m for m in smtp.messages if to(m) == "desk@hafen.example"]
    assert len(alerts) == 1
    assert alerts[0]["Subject"] == f"New online order {online.reference}"
    text, html = parts(alerts[0])
    assert online.reference in text and "€120.00" in text and online.reference in html
    assert "/r/" not in text, "the customer's manage link is not sent to the shop"
    two_line_order(channel=BookingChannel.STAFF)
    drain()
    assert len([m for m in smtp.messages if to(m) == "desk@hafen.example"]) == 1
    # An order a program placed through the API is news to the shop too.
    through_api = two_line_order(channel=BookingChannel.API)
    drain()
    alerts = [m for m in smtp.messages if to(m) == "desk@hafen.example"]
    assert len(alerts) == 2
    assert alerts[1]["Subject"] == f"New order through the API: {through_api.reference}"


# --- cancelled ------------------------------------------------------------------------------------


def test_cancellation_by_the_customer_carries_the_reason_and_the_fee(app, smtp):
    fee_policy(FeeKind.PERCENT, "25", hours=48)
    order = two_line_order()
    drain()
    BookingFacade().cancel_by_customer(order.first.id, "Plans changed")
    db.session.rollback()
    drain()
    address = customer_email(order.customer_id)
    cancelled = [m for m in smtp.messages if to(m) == address and "cancelled" in m["Subject"]]
    assert len(cancelled) == 1, "one mail for the order, not one per line"
    assert cancelled[0]["Subject"] == f"Booking cancelled: {order.reference} – Hafen Hire"
    text, html = parts(cancelled[0])
    for part in (text, html):
        assert "Plans changed" in part
        assert "Cancellation fee" in part and "€30.00" in part  # 25 % of €120.00
        assert order.reference in part


def test_cancellation_by_staff_without_a_fee_says_so(app, smtp):
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    drain()
    BookingFacade().cancel_reservation(order.first.id, "Generator broke down")
    db.session.rollback()
    drain()
    address = customer_email(order.customer_id)
    (message,) = [m for m in smtp.messages if to(m) == address and "cancelled" in m["Subject"]]
    text, _ = parts(message)
    assert "Generator broke down" in text and "There is no cancellation fee." in text


def test_an_order_cancelled_before_the_worker_ran_gets_only_the_cancellation(app, smtp):
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    BookingFacade().cancel_reservation(order.first.id, "Typed the wrong day")
    db.session.rollback()
    drain()
    subjects = [str(m["Subject"]) for m in smtp.messages]
    assert subjects == [f"Booking cancelled: {order.reference} – Hafen Hire"]


# --- failures -------------------------------------------------------------------------------------


def _fast_retries() -> OutboxProcessor:
    return OutboxProcessor(OutboxSettings(max_attempts=3, backoff_seconds=0))


@pytest.mark.parametrize("how", ["nothing listening", "refusing"])
def test_smtp_down_retries_then_dead_and_the_booking_stands(app, smtp, monkeypatch, caplog, how):
    if how == "nothing listening":
        monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    else:
        smtp.refuse = True
    caplog.set_level(logging.WARNING, logger="rental.shared.outbox")
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    drain(_fast_retries())
    booking = BookingFacade().get_order(order.id)
    assert booking.status is ReservationStatus.CONFIRMED
    dead = db.session.scalars(
        select(OutboxMessageEntity).where(OutboxMessageEntity.dead_at.is_not(None))
    ).all()
    assert [m.event_type for m in dead] == ["ReservationConfirmed"]
    assert dead[0].attempts == 3 and "notifications.order_confirmed" in dead[0].last_error
    db.session.rollback()
    rows = {r.template: r for r in recorded()}
    assert rows["order_confirmed"].status == FAILED
    assert rows["order_confirmed"].attempts == 3
    assert "could not send the order_confirmed e-mail" in rows["order_confirmed"].error
    assert rows["staff_new_order"].status == FAILED
    # One line per failed attempt, no traceback.
    failures = [r for r in caplog.records if "notifications.order_confirmed" in r.getMessage()]
    assert len(failures) == 3
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in failures)
    assert smtp.messages == []
    # The server is back: requeued, the mail goes out and the record turns SENT.
    smtp.refuse = False
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
    OutboxProcessor().requeue()
    drain()
    rows = {r.template: r for r in recorded()}
    assert rows["order_confirmed"].status == SENT and rows["order_confirmed"].error is None


def test_an_anonymised_customer_gets_no_mail_and_no_error(app, smtp):
    customer = make_customer()
    order = place(
        OrderLine(1, equipment_type_id=make_type(deposit=None).type_id),
        customer=customer,
        channel=BookingChannel.STAFF,
    )
    CustomerFacade().anonymise_customer(customer)
    db.session.rollback()
    drain()
    assert smtp.messages == []
    assert recorded() == []
    pending = db.session.scalars(
        select(OutboxMessageEntity).where(OutboxMessageEntity.processed_at.is_(None))
    ).all()
    assert pending == [], "handled, nothing left to retry"
    assert order.reference


# --- the file backend and the staff page -------------------------------------------------------


def test_without_a_mail_server_each_mail_is_an_eml_file(app):
    ShopFacade().save_settings(SHOP)
    assert app.config["MAIL_BACKEND"].endswith("EmlEmailBackend")
    folder = Path(app.config["MAIL_FILE_PATH"])
    before = set(folder.glob("*.eml"))
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    drain()
    files = set(folder.glob("*.eml")) - before
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files
    ]
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == [
        f"Booking confirmed: {order.reference} – Hafen Hire",
        f"New online order {order.reference}",
    ]
    assert all(m.get_body(("html",)) is not None for m in messages)


def test_admin_mail_lists_the_messages_for_staff_only(app, smtp, client, staff_client):
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    drain()
    assert client.get("/admin/mail").status_code in (302, 303)
    page = staff_client.get("/admin/mail")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"Booking confirmed: {order.reference}" in body and "E-mails" in body
    row = next(r for r in recorded() if r.template == "order_confirmed")
    detail = staff_client.get(f"/admin/mail/{row.id}")
    assert detail.status_code == 200
    assert 'sandbox=""' in detail.get_data(as_text=True)
    html = staff_client.get(f"/admin/mail/{row.id}/html")
    assert html.status_code == 200 and order.reference in html.get_data(as_text=True)
    csp = html.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert client.get(f"/admin/mail/{row.id}/html").status_code in (302, 303)
    assert staff_client.get("/admin/mail/nope").status_code == 404
    # The staff booking page lists the order's e-mails.
    booking_page = staff_client.get(f"/admin/reservations/{order.first.id}").get_data(as_text=True)
    assert 'id="order-mail"' in booking_page
    assert f"Booking confirmed: {order.reference}" in booking_page


def test_admin_mail_pages_through_older_messages(app, smtp, staff_client):
    """50 a page, newest first; "Older" leads on, a page past the end says so, a page that is
    no number is the first."""
    from rental.notifications.web.admin import PAGE_SIZE

    for _ in range(PAGE_SIZE // 2 + 1):  # two e-mails each: confirmation and staff alert
        place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    drain()
    total = len(recorded())
    assert total > PAGE_SIZE
    first = staff_client.get("/admin/mail").get_data(as_text=True)
    assert first.count('data-label="Subject"') == PAGE_SIZE and 'rel="next"' in first
    second = staff_client.get("/admin/mail?page=2").get_data(as_text=True)
    assert second.count('data-label="Subject"') == total - PAGE_SIZE
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "No older e-mails" in staff_client.get("/admin/mail?page=9").get_data(as_text=True)
    for bad in ("x", "-3", "0", "99999999999999999999"):
        page = staff_client.get(f"/admin/mail?page={bad}")
        assert page.status_code == 200, bad


def test_two_workers_on_one_order_send_one_confirmation(app, smtp, backend):
    """Another worker (a second session) is sending the order's confirmation for its other
    line right now: its row is written, not yet committed. This worker waits on that row,
    sends nothing, and after the other commits finds the mail sent."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    order = two_line_order(channel=BookingChannel.STAFF)
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(
        MailMessageEntity.__table__.insert().values(
            id="other-worker",
            key=f"order_confirmed:{order.id}",
            template="order_confirmed",
            to_address="x@example.com",
            subject="sent by the other worker",
            order_id=order.id,
            order_reference=order.reference,
            message_id="<other@hafen.example>",
            status=SENT,
            attempts=1,
            html="",
            text="",
            created_at=order.created_at,
        )
    )
    done: dict[str, object] = {}

    def worker() -> None:
        with app.app_context():
            try:
                drain()
                done["ok"] = True
            finally:
                db.session.remove()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    waiting = wait_until_blocked(db.engine, query_like="notifications_messages", thread=thread)
    assert waiting and thread.is_alive(), "the worker must wait for the other worker's row"
    transaction.commit()
    holder.close()
    thread.join(30)
    drain()  # the retry of the handler that lost the race
    assert smtp.messages == [], "the other worker sent it; this one sent nothing"
    rows = recorded()
    assert [(r.id, r.status) for r in rows] == [("other-worker", SENT)]

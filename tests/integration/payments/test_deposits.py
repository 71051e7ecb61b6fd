"""Deposits on SQLite and PostgreSQL (issue 12): charged per confirmed line from Booking's
events (changes adjust it, a cancellation reverses it); the hand-over refused (policy
REQUIRED) or asked first (OPTIONAL) while it is not paid; released in full, or partly kept
for damage with a note and a staff-only photo, in one transaction with `DepositReleased`;
released twice, and bad input through the forms, refused with nothing written; and what is
due when on the review, confirmation and manage pages for each policy setting."""

from __future__ import annotations

import html
import io
import re
import secrets
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from rental.booking import (
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    CreateReservation,
    PricingBasis,
    ReservationStatus,
)
from rental.extensions import db
from rental.payments import (
    Account,
    DepositRule,
    Method,
    PaymentPolicy,
    PaymentsFacade,
    RecordPayment,
    ReleaseDeposit,
    RentalDue,
)
from rental.payments.infrastructure.deposits import DamagePhotoEntity
from rental.payments.infrastructure.entities import EntryEntity
from rental.shared.errors import ConflictError, NeedsConfirmation, ValidationError
from rental.shared.outbox import OutboxMessageEntity
from tests.integration.booking.test_servable_bookings import drain, period
from tests.support.auth import csrf_token
from tests.support.deposits import order_id_of, take_deposit
from tests.support.fingerprint import changed_tables, database_fingerprint
from tests.support.fleet import make_customer, make_type
from tests.support.images import image_bytes

STAFF = "staff@example.com"
COUNTERS = frozenset({"throttle_counters"})


def booked(type_id: str, qty: int = 1, *, confirm: bool = True) -> tuple[str, str]:
    """A booking tomorrow 09:00–17:00 (its hand-over window is open) and its manage token;
    confirmed and drained (items allocated, the ledger charged) unless told otherwise."""
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            type_id,
            period(9, 17),
            qty,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
        drain()
    return rid, token


def ledger(order_id: str):
    view = PaymentsFacade().get_ledger(order_id)
    db.session.rollback()
    return view


def status(rid: str) -> ReservationStatus:
    found = BookingFacade().get_reservation(rid).status
    db.session.rollback()
    return found


def reference(rid: str) -> str:
    found = BookingFacade().get_reservation(rid).reference
    db.session.rollback()
    return found


def set_policy(**changes) -> None:
    PaymentsFacade().save_policy(replace(PaymentPolicy(), **changes))


def on_hire(type_id: str, qty: int = 1) -> tuple[str, str]:
    """A booking with its deposit paid and its equipment handed over; (reservation, order)."""
    rid, _ = booked(type_id, qty)
    take_deposit(rid)
    BookingFacade().hand_over(rid, STAFF)
    return rid, order_id_of(rid)


def outbox_types() -> list[str]:
    rows = db.session.scalars(
        select(OutboxMessageEntity.event_type).order_by(OutboxMessageEntity.id)
    ).all()
    db.session.rollback()
    return list(rows)


def count(entity) -> int:
    n = db.session.scalar(select(func.count()).select_from(entity))
    db.session.rollback()
    return n


def fingerprint():
    return database_fingerprint(db.engine, skip=COUNTERS)


def release_form(client, order_id: str, rid: str, **fields):
    data = {"csrf_token": csrf_token(client, "/admin/"), "back": rid, "method": "cash", **fields}
    return client.post(
        f"/admin/payments/orders/{order_id}/deposit/release",
        data=data,
        content_type="multipart/form-data",
    )


# --- charged from Booking's events ------------------------------------------------------------


def test_the_deposit_is_charged_once_per_confirmed_line_and_follows_changes_and_cancellation(app):
    fleet = make_type(units=3, hourly="20.00", deposit="150.00")
    rid, _ = booked(fleet.type_id)
    order_id = order_id_of(rid)
    view = ledger(order_id)
    deposit = view.accounts["deposit"]
    assert deposit.charged.amount == Decimal("150.00") and deposit.paid.amount == 0
    assert view.deposit_state == "not paid"
    [charge] = [e for e in view.entries if e.account == "deposit"]
    assert charge.category == "deposit" and charge.line_id == rid
    drain()  # a redelivery or a second drain changes nothing
    assert len(ledger(order_id).entries) == len(view.entries)

    # Two units: the deposit doubles; back to one: it follows again.
    BookingFacade().change_reservation(ChangeReservation(rid, period(9, 17), 2))
    drain()
    assert ledger(order_id).accounts["deposit"].charged.amount == Decimal("300.00")
    BookingFacade().change_reservation(ChangeReservation(rid, period(9, 17), 1))
    drain()
    view = ledger(order_id)
    assert view.accounts["deposit"].charged.amount == Decimal("150.00")
    assert view.accounts["rental"].charged.amount == Decimal("120.00")  # a day's rate

    BookingFacade().cancel_reservation(rid, "changed plans")
    drain()
    view = ledger(order_id)
    assert view.accounts["deposit"].charged.amount == 0
    assert view.accounts["rental"].charged.amount == 0


def test_a_line_without_a_deposit_charges_none(app):
    rid, _ = booked(make_type(deposit=None).type_id)
    view = ledger(order_id_of(rid))
    assert [e.account for e in view.entries] == ["rental"]
    assert view.deposit_state == "not paid"


# --- the hand-over ------------------------------------------------------------------------------


def test_a_required_deposit_not_paid_refuses_the_hand_over_and_changes_nothing(app, admin_client):
    fleet = make_type(units=1, deposit="200.00")
    rid, _ = booked(fleet.type_id)
    before = fingerprint()
    with pytest.raises(ConflictError, match=r"Take the deposit of €200\.00 first \(Money panel\)"):
        BookingFacade().hand_over(rid, STAFF)
    answer = admin_client.post(
        f"/admin/reservations/{rid}/hand-over",
        data={"csrf_token": csrf_token(admin_client, "/admin/")},
        follow_redirects=True,
    )
    assert "Take the deposit of €200.00 first (Money panel)" in html.unescape(
        answer.get_data(as_text=True)
    )
    assert changed_tables(before, fingerprint()) == []
    assert status(rid) is ReservationStatus.CONFIRMED

    # Part of it is not enough; all of it is.
    order_id = order_id_of(rid)
    PaymentsFacade().record_payment(
        RecordPayment(order_id, Decimal("50"), Method.CASH, Account.DEPOSIT, STAFF)
    )
    with pytest.raises(ConflictError, match=r"Take the deposit of €150\.00 first"):
        BookingFacade().hand_over(rid, STAFF)
    PaymentsFacade().record_payment(
        RecordPayment(order_id, Decimal("150"), Method.CARD_TERMINAL, Account.DEPOSIT, STAFF)
    )
    BookingFacade().hand_over(rid, STAFF)
    assert status(rid) is ReservationStatus.ON_HIRE
    assert ledger(order_id).deposit_state == "held"


def test_the_deposit_is_due_before_the_worker_charged_it(app):
    """Confirmed a moment ago (the worker has not opened the ledger yet): the deposit is
    still due — Booking's own figure counts until Payments has charged the line."""
    fleet = make_type(units=1, deposit="80.00")
    rid, _ = booked(fleet.type_id, confirm=False)
    BookingFacade().confirm_reservation(rid)
    assert ledger(order_id_of(rid)) is None
    with pytest.raises(ConflictError, match=r"Take the deposit of €80\.00 first"):
        BookingFacade().hand_over(rid, STAFF)


def test_an_optional_deposit_asks_first_on_the_page_then_hands_over(app, admin_client):
    set_policy(deposit=DepositRule.OPTIONAL)
    fleet = make_type(units=1, deposit="200.00")
    rid, _ = booked(fleet.type_id)
    with pytest.raises(NeedsConfirmation) as asked:
        BookingFacade().hand_over(rid, STAFF)
    [warning] = asked.value.warnings
    assert warning.code == "deposit_not_held" and "€200.00" in warning.message
    url = f"/admin/reservations/{rid}/hand-over"
    form = {"csrf_token": csrf_token(admin_client, "/admin/")}
    page = admin_client.post(url, data=form)
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 409 and "The deposit of €200.00 has not been paid" in body
    assert "Hand over without the deposit?" in body
    assert status(rid) is ReservationStatus.CONFIRMED
    code = re.search(r'name="confirm" value="([^"]+)"', body).group(1)
    assert code == "deposit_not_held"
    done = admin_client.post(url, data={**form, "confirm": code}, follow_redirects=True)
    assert "Marked as picked up." in done.get_data(as_text=True)
    assert status(rid) is ReservationStatus.ON_HIRE


# --- release ------------------------------------------------------------------------------------


def test_release_in_full_through_the_money_panel(app, admin_client):
    fleet = make_type(units=1, deposit="200.00")
    rid, order_id = on_hire(fleet.type_id)
    page = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    assert 'id="release-deposit-full"' in page and 'id="release-deposit-keep"' in page
    assert "Deposit held" in page
    answer = release_form(admin_client, order_id, rid, mode="full", method="card_terminal")
    assert answer.status_code == 303
    view = ledger(order_id)
    assert view.deposit_state == "released"
    deposit = view.accounts["deposit"]
    assert deposit.balance.amount == 0 and deposit.refunded.amount == Decimal("200.00")
    assert view.accounts["rental"].balance.amount > 0  # the rental is untouched
    assert outbox_types()[-3:] == ["EntryReversed", "RefundIssued", "DepositReleased"]
    page = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    assert 'id="release-deposit-full"' not in page and "Deposit released" in page


def test_release_partly_with_a_note_and_a_photo_only_staff_see(app, admin_client, client):
    fleet = make_type(units=1, deposit="200.00")
    rid, token = booked(fleet.type_id)
    take_deposit(rid)
    BookingFacade().hand_over(rid, STAFF)
    order_id = order_id_of(rid)
    answer = release_form(
        admin_client,
        order_id,
        rid,
        mode="keep",
        keep="45.50",
        note="Cracked cover",
        method="cash",
        photo=(io.BytesIO(image_bytes()), "damage.png"),
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    view = ledger(order_id)
    assert view.deposit_state == "partly retained"
    deposit = view.accounts["deposit"]
    assert deposit.balance.amount == 0
    assert deposit.refunded.amount == Decimal("154.50")
    [damage] = [e for e in view.entries if e.category == "damage"]
    assert damage.amount.amount == Decimal("45.50") and damage.reason == "Cracked cover"
    assert damage.account == "deposit"
    [event] = [m for m in _messages() if m.event_type == "DepositReleased"]
    assert event.payload["retained"]["amount"] == "45.50"
    assert event.payload["refunded"]["amount"] == "154.50"
    assert event.payload["note"] == "Cracked cover"

    # The photo: on the staff page, served under /admin only, never at /media.
    photos = PaymentsFacade().damage_photos(order_id)
    db.session.rollback()
    [photo] = photos.values()
    page = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    name = photo.file_name(200)
    assert f"/admin/payments/damage-photos/{name}" in page
    served = admin_client.get(f"/admin/payments/damage-photos/{name}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert client.get(f"/media/{name}").status_code == 404
    anonymous = client.get(f"/admin/payments/damage-photos/{name}")
    assert anonymous.status_code in (302, 303, 401, 403)
    # The customer's page says what happened to the deposit, without the photo.
    manage = client.get(f"/r/{reference(rid)}/{token}").get_data(as_text=True)
    assert "partly retained" in manage and "damage-photos" not in manage


def test_keeping_all_of_it_reads_partly_retained_and_refunds_nothing(app):
    fleet = make_type(units=1, deposit="60.00")
    _, order_id = on_hire(fleet.type_id)
    result = PaymentsFacade().release_deposit(
        ReleaseDeposit(order_id, Decimal("60"), Method.CASH, STAFF, note="Lost the charger")
    )
    assert result.refunded.amount == 0 and result.retained.amount == Decimal("60")
    view = ledger(order_id)
    assert view.deposit_state == "partly retained"
    assert view.accounts["deposit"].balance.amount == 0


def test_a_deposit_is_released_only_once(app, admin_client):
    fleet = make_type(units=1, deposit="200.00")
    rid, order_id = on_hire(fleet.type_id)
    release_form(admin_client, order_id, rid, mode="full")
    before = fingerprint()
    again = release_form(admin_client, order_id, rid, mode="full")
    assert again.status_code == 409
    assert "released already" in html.unescape(again.get_data(as_text=True))
    with pytest.raises(ConflictError, match="cannot be released twice"):
        PaymentsFacade().release_deposit(ReleaseDeposit(order_id, Decimal(0), Method.CASH, STAFF))
    db.session.rollback()
    assert changed_tables(before, fingerprint()) == []


def test_nothing_to_release_before_the_deposit_is_paid(app, admin_client):
    fleet = make_type(units=1, deposit="200.00")
    rid, _ = booked(fleet.type_id)
    order_id = order_id_of(rid)
    page = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    assert "Deposit not paid" in page and 'id="release-deposit-full"' not in page
    answer = release_form(admin_client, order_id, rid, mode="full")
    assert answer.status_code == 409 and "nothing to release" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "status_code", "message"),
    [
        ({"mode": "keep", "keep": "-5", "note": "x"}, 422, "cannot be negative"),
        ({"mode": "keep", "keep": "0", "note": "x"}, 422, "more than zero"),
        ({"mode": "keep", "keep": "", "note": "x"}, 422, "Give the amount kept for damage"),
        ({"mode": "keep", "keep": "1.001", "note": "x"}, 422, "at most 2 decimals"),
        ({"mode": "keep", "keep": "200.01", "note": "x"}, 422, "at most the deposit held"),
        ({"mode": "keep", "keep": "abc", "note": "x"}, 422, "as a number"),
        ({"mode": "keep", "keep": "20", "note": "  "}, 422, "a note is needed"),
        ({"mode": "keep", "keep": "20", "note": "x" * 501}, 422, "at most 500 characters"),
        ({"mode": "all", "keep": "20", "note": "x"}, 422, "in full or to keep part"),
        ({"mode": "full", "method": "cheque"}, 422, "refund method"),
        (
            {"mode": "keep", "keep": "20", "note": "x", "photo": "text"},
            422,
            "not one of those",
        ),
    ],
)
def test_bad_input_in_the_release_form_is_refused_and_nothing_is_written(
    app, admin_client, fields, status_code, message
):
    fleet = make_type(units=1, deposit="200.00")
    rid, order_id = on_hire(fleet.type_id)
    if fields.get("photo") == "text":
        fields = {**fields, "photo": (io.BytesIO(b"just some text"), "damage.png")}
    entries, photos = count(EntryEntity), count(DamagePhotoEntity)
    answer = release_form(admin_client, order_id, rid, **fields)
    body = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == status_code, body
    assert message in body
    assert (count(EntryEntity), count(DamagePhotoEntity)) == (entries, photos)
    assert ledger(order_id).deposit_state == "held"


def test_the_facade_refuses_bad_amounts_and_writes_nothing(app):
    fleet = make_type(units=1, deposit="100.00")
    _, order_id = on_hire(fleet.type_id)
    entries = count(EntryEntity)
    for keep, match in [
        (Decimal("-1"), "negative"),
        (Decimal("100.001"), "decimals"),
        (Decimal("100.01"), "at most the deposit held"),
        (Decimal("NaN"), "must be a number"),
    ]:
        with pytest.raises(ValidationError, match=match):
            PaymentsFacade().release_deposit(
                ReleaseDeposit(order_id, keep, Method.CASH, STAFF, note="dent")
            )
        db.session.rollback()
    with pytest.raises(TypeError):
        PaymentsFacade().release_deposit(ReleaseDeposit(order_id, 1.5, Method.CASH, STAFF))  # type: ignore[arg-type]
    db.session.rollback()
    assert count(EntryEntity) == entries


def _messages():
    rows = db.session.scalars(select(OutboxMessageEntity).order_by(OutboxMessageEntity.id)).all()
    db.session.rollback()
    return rows


# --- what is due when, on the customer's pages -------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "rental_text", "deposit_text"),
    [
        ({}, "Pay at pick-up.", "Due before pick-up"),
        (
            {"rental_due": RentalDue.BY_INVOICE, "invoice_days": 14},
            "Pay by bank transfer within 14 days of the invoice.",
            "Due before pick-up",
        ),
        (
            {"rental_due": RentalDue.AT_RETURN, "deposit": DepositRule.OPTIONAL},
            "Pay when you bring the equipment back.",
            "We may ask for it at pick-up",
        ),
    ],
)
def test_review_confirmation_and_manage_pages_say_what_is_due_when(
    app, client, policy, rental_text, deposit_text
):
    set_policy(**policy)
    fleet = make_type(units=1, hourly="20.00", deposit="150.00")
    rid, token = booked(fleet.type_id, confirm=False)
    ref = reference(rid)
    pages = [client.get(f"/book/review/{ref}/{token}")]
    BookingFacade().confirm_reservation(rid)
    drain()
    pages += [client.get(f"/book/confirmed/{ref}/{token}"), client.get(f"/r/{ref}/{token}")]
    for page in pages:
        body = html.unescape(page.get_data(as_text=True))
        assert page.status_code == 200
        assert 'id="payment-due"' in body
        rental = re.search(r'id="due-rental">(.*?)</dd>', body, re.S).group(1)
        assert "€120.00" in rental and rental_text in rental
        deposit = re.search(r'id="due-deposit">(.*?)</dd>', body, re.S).group(1)
        assert "€150.00" in deposit and deposit_text in deposit
        assert "No payment is taken online." in body
    manage = html.unescape(pages[-1].get_data(as_text=True))
    assert re.search(r'id="deposit-state">€150\.00 · not paid<', manage)


def test_a_booking_without_a_deposit_shows_only_the_rental(app, client):
    fleet = make_type(units=1, hourly="20.00", deposit=None)
    rid, token = booked(fleet.type_id, confirm=False)
    body = client.get(f"/book/review/{reference(rid)}/{token}").get_data(as_text=True)
    assert 'id="due-rental"' in body and 'id="due-deposit"' not in body


def test_staff_see_the_deposit_state_on_the_reservation_page(app, admin_client):
    fleet = make_type(units=1, deposit="200.00")
    rid, _ = on_hire(fleet.type_id)
    page = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    assert re.search(r'id="deposit-state"><strong>Deposit held</strong>: €200\.00 held', page)


# --- the card-provider port ---------------------------------------------------------------------


class _Provider:
    """A test double of an adapter (none is bundled with the app)."""

    name = "Test PSP"

    def create_payment(self, request):
        raise NotImplementedError

    def verify_webhook(self, body, headers):
        raise NotImplementedError

    def refund(self, request):
        raise NotImplementedError


def test_the_app_works_without_a_card_provider_and_takes_one_through_the_port(app, client):
    from rental.payments import CardProvider, card_provider, register_card_provider

    assert card_provider() is None
    fleet = make_type(units=1, deposit=None)
    rid, token = booked(fleet.type_id, confirm=False)
    url = f"/book/review/{reference(rid)}/{token}"
    assert "No payment is taken online." in client.get(url).get_data(as_text=True)
    with pytest.raises(TypeError):
        register_card_provider(app, object())  # type: ignore[arg-type]
    try:
        register_card_provider(app, _Provider())
        assert isinstance(card_provider(), CardProvider)
        assert "No payment is taken online." not in client.get(url).get_data(as_text=True)
    finally:
        register_card_provider(app, None)
    assert card_provider() is None


def test_two_staff_releasing_at_once_release_it_once(app, backend):
    """Both releases wait for the ledger's row (a second session holds it); let go, they take
    turns: one releases, the other is told it was released already — refunded once."""
    from tests.integration.booking.test_booking_races import (
        Attempt,
        RowLock,
        lock_waiters,
        postgres_only,
    )
    from tests.support.processes import wait_until

    postgres_only(backend)
    fleet = make_type(units=1, deposit="200.00")
    _, order_id = on_hire(fleet.type_id)
    lock = RowLock("SELECT * FROM payments_ledgers WHERE order_id = :id FOR UPDATE", id=order_id)
    attempts = [
        Attempt(
            app,
            lambda: PaymentsFacade().release_deposit(
                ReleaseDeposit(order_id, Decimal(0), Method.CASH, "first@example.com")
            ),
        ),
        Attempt(
            app,
            lambda: PaymentsFacade().release_deposit(
                ReleaseDeposit(order_id, Decimal(10), Method.CASH, "second@example.com", "dent")
            ),
        ),
    ]
    for attempt in attempts:
        attempt.start()
    wait_until(lambda: lock_waiters() >= 2, message="the releases never waited for the ledger")
    lock.release()
    for attempt in attempts:
        attempt.join(30)
    outcomes = sorted(a.outcome or "" for a in attempts)
    assert outcomes[1] == "ok" and "released already" in outcomes[0], outcomes
    view = ledger(order_id)
    assert view.deposit_state in ("released", "partly retained")
    assert view.accounts["deposit"].balance.amount == 0
    assert sum(1 for e in view.entries if e.kind == "REFUND") == 1
    assert outbox_types().count("DepositReleased") == 1


def test_an_early_pick_up_without_the_optional_deposit_asks_both_on_one_page(
    app, admin_client, monkeypatch
):
    """The deposit's question and an early pick-up's warning come together: one
    confirmation sends both codes back, and the hand-over goes ahead."""
    monkeypatch.setitem(app.config, "BOOKING_EARLY_PICKUP_DAYS", 5)
    set_policy(deposit=DepositRule.OPTIONAL)
    fleet = make_type(units=1, deposit="200.00")
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    rids = []
    for days in (4, 2):  # the booking four days ahead, and one in between
        rid = booking.create_reservation(
            CreateReservation(
                make_customer(),
                fleet.type_id,
                period(9, 17, days=days),
                1,
                PricingBasis.HOURLY,
                token if days == 4 else secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
        booking.confirm_reservation(rid)
        rids.append(rid)
    drain()
    url = f"/admin/reservations/{rids[0]}/hand-over"
    form = {"csrf_token": csrf_token(admin_client, "/admin/")}
    asked = admin_client.post(url, data=form)
    body = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 409 and "Hand over now?" in body
    codes = re.search(r'name="confirm" value="([^"]+)"', body).group(1).split()
    assert sorted(codes) == ["deposit_not_held", "leaves_bookings_short"]
    assert status(rids[0]) is ReservationStatus.CONFIRMED
    done = admin_client.post(url, data={**form, "confirm": " ".join(codes)}, follow_redirects=True)
    assert "Marked as picked up." in done.get_data(as_text=True)
    assert status(rids[0]) is ReservationStatus.ON_HIRE

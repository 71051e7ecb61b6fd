"""Hold flooding and far-future bookings (issue: correctness under races and faults, items 10
and 11): a booking horizon, caps on bookings waiting for confirmation per e-mail and per
network, a cap on the share of a fleet one online booking takes (more becomes a request staff
approve), and a staff page to review and clear open holds."""

from __future__ import annotations

from datetime import timedelta

from rental.booking import BookingFacade, ListReservations, ReservationStatus
from rental.extensions import db
from rental.shared.time_range import utcnow
from tests.integration.booking.test_booking_pages import DETAILS, request_params
from tests.support.auth import csrf_token
from tests.support.fleet import make_type

NETWORK_A = {"REMOTE_ADDR": "203.0.113.10"}
NETWORK_B = {"REMOTE_ADDR": "198.51.100.20"}


def post_details(client, slug: str, *, email: str, qty: int = 1, network=NETWORK_A, **params):
    token = csrf_token(client, f"/book/{slug}")
    return client.post(
        f"/book/{slug}/details",
        data={**request_params(qty=qty), **params, **DETAILS, "email": email, "csrf_token": token},
        environ_base=network,
    )


def open_bookings() -> list:
    page = BookingFacade().list_reservations(
        ListReservations(statuses=("PENDING", "REQUESTED"), page_size=100)
    )
    db.session.rollback()
    return list(page.items)


def test_a_booking_beyond_the_horizon_is_refused_next_to_the_start(app, client):
    fleet = make_type(units=2)
    first = (utcnow() + timedelta(days=400)).date().isoformat()
    response = post_details(
        client,
        fleet.slug,
        email="far@example.com",
        basis="daily",
        start_date=first,
        end_date=first,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "We take bookings up to 365 days ahead" in body and 'id="form-error"' in body
    assert open_bookings() == []
    panel = client.get(
        f"/book/{fleet.slug}",
        query_string={"basis": "daily", "start_date": first, "end_date": first, "quantity": "1"},
    )
    assert panel.status_code == 422
    assert 'id="start-error"' in panel.get_data(as_text=True)
    assert "up to 365 days ahead" in panel.get_data(as_text=True)


def test_one_email_may_have_only_three_bookings_waiting_for_confirmation(app, client):
    slugs = [make_type(units=2).slug for _ in range(4)]
    for slug in slugs[:3]:
        assert post_details(client, slug, email="jo@example.com").status_code == 303
    refused = post_details(client, slugs[3], email="JO@example.com")
    assert refused.status_code == 409
    # The neutral refusal: what is waiting under an e-mail is not told to whoever types it.
    body = refused.get_data(as_text=True)
    assert "We could not take this booking online; please call us." in body
    assert "waiting for confirmation" not in body
    assert len(open_bookings()) == 3
    # Someone else is not affected.
    assert (
        post_details(client, slugs[3], email="sam@example.com", network=NETWORK_B).status_code
        == 303
    )


def test_one_network_may_have_only_five_bookings_waiting_for_confirmation(app, client):
    fleet = make_type(units=20)
    for n in range(5):
        assert post_details(client, fleet.slug, email=f"n{n}@example.com").status_code == 303
    refused = post_details(client, fleet.slug, email="n5@example.com")
    assert refused.status_code == 409
    assert "Too many bookings from your network" in refused.get_data(as_text=True)
    assert len(open_bookings()) == 5
    ok = post_details(client, fleet.slug, email="n5@example.com", network=NETWORK_B)
    assert ok.status_code == 303


def test_more_than_half_the_fleet_online_becomes_a_request_that_staff_approve(
    app, client, admin_client
):
    fleet = make_type(units=4)
    panel = client.get(f"/book/{fleet.slug}", query_string=request_params(qty=3))
    assert "Online we book up to 2 at a time" in panel.get_data(as_text=True)
    assert "Request 3 ×" in panel.get_data(as_text=True)

    response = post_details(client, fleet.slug, email="big@example.com", qty=3)
    # The review page has nothing to confirm and sends the visitor on to "we have it".
    assert response.status_code == 303 and "/book/review/" in response.headers["Location"]
    review = response.headers["Location"]
    landing = client.get(review)
    assert landing.status_code == 303 and "/book/confirmed/" in landing.headers["Location"]
    page = client.get(landing.headers["Location"]).get_data(as_text=True)
    assert "We have your request" in page and "/r/RK-" in page
    (request,) = open_bookings()
    assert request.status is ReservationStatus.REQUESTED and request.hold_expires_at is None
    # It holds nothing: others can still book what the shop has.
    still = client.get(f"/book/{fleet.slug}", query_string=request_params(qty=2))
    assert "4 of 4 free" in still.get_data(as_text=True)
    # The customer cannot confirm it themselves.
    client.post(review, data={"csrf_token": csrf_token(client)})
    assert BookingFacade().get_reservation(request.id).status is ReservationStatus.REQUESTED

    detail = admin_client.get(f"/admin/reservations/{request.id}").get_data(as_text=True)
    assert "Approve and confirm" in detail and "Decline this request" in detail
    approved = admin_client.post(
        f"/admin/reservations/{request.id}/confirm",
        data={"csrf_token": csrf_token(admin_client, "/admin/")},
    )
    assert approved.status_code == 303
    assert BookingFacade().get_reservation(request.id).status is ReservationStatus.CONFIRMED


def test_approving_a_request_checks_the_equipment_is_still_free(app, client, admin_client):
    fleet = make_type(units=4)
    post_details(client, fleet.slug, email="big@example.com", qty=3)
    (request,) = open_bookings()
    for email in ("a@example.com", "b@example.com"):  # meanwhile others book 2 + 2
        assert (
            post_details(client, fleet.slug, email=email, qty=2, network=NETWORK_B).status_code
            == 303
        )
    answer = admin_client.post(
        f"/admin/reservations/{request.id}/confirm",
        data={"csrf_token": csrf_token(admin_client, "/admin/")},
        follow_redirects=True,
    )
    assert "In the meantime the equipment was booked: None are left" in answer.get_data(
        as_text=True
    )
    assert BookingFacade().get_reservation(request.id).status is ReservationStatus.REQUESTED


def test_requests_nobody_approved_expire_when_their_rental_would_have_started(app, client):
    fleet = make_type(units=4)
    post_details(client, fleet.slug, email="big@example.com", qty=3)
    (request,) = open_bookings()
    BookingFacade().expire_stale_holds()
    assert BookingFacade().get_reservation(request.id).status is ReservationStatus.REQUESTED
    # The clock moves to just after the start (the request was made before it).
    started = request.period.start + timedelta(minutes=1)
    assert BookingFacade(clock=lambda: started).expire_stale_holds() == 1
    assert BookingFacade().get_reservation(request.id).status is ReservationStatus.EXPIRED


def test_staff_review_open_holds_by_network_and_clear_them_together(app, client, admin_client):
    fleet = make_type(units=20)
    for n in range(3):
        post_details(client, fleet.slug, email=f"flood{n}@example.com")
    post_details(client, fleet.slug, email="honest@example.com", network=NETWORK_B)
    flood = [r for r in open_bookings() if r.customer_id != _customer("honest@example.com")]
    origin = flood[0].origin_key
    assert origin and {r.origin_key for r in flood} == {origin}

    page = admin_client.get("/admin/reservations/holds", query_string={"origin": origin})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert all(r.reference in body for r in flood) and "honest@example.com" not in body
    assert "203.0.113.10" not in body  # the address itself is never stored or shown

    BookingFacade().confirm_reservation(flood[0].id)  # one customer confirms meanwhile
    cleared = admin_client.post(
        "/admin/reservations/holds/cancel",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/"),
            "reservation_id": [r.id for r in flood],
            "reason": "Flood from one network",
            "origin": origin,
        },
        follow_redirects=True,
    )
    text_ = cleared.get_data(as_text=True)
    assert "Cancelled 2 bookings." in text_ and flood[0].reference in text_
    statuses = {r.id: BookingFacade().get_reservation(r.id).status for r in flood}
    assert statuses[flood[0].id] is ReservationStatus.CONFIRMED
    assert [statuses[r.id] for r in flood[1:]] == [ReservationStatus.CANCELLED] * 2
    assert len(open_bookings()) == 1  # the honest customer's hold stays


def test_a_bad_network_filter_is_ignored_not_echoed(app, admin_client):
    page = admin_client.get("/admin/reservations/holds", query_string={"origin": "<x>"})
    assert page.status_code == 200 and "&lt;x&gt;" not in page.get_data(as_text=True)
    back = admin_client.post(
        "/admin/reservations/holds/cancel",
        data={"csrf_token": csrf_token(admin_client, "/admin/"), "origin": "https://evil.example"},
    )
    assert back.headers["Location"].endswith("/admin/reservations/holds")


def _customer(email: str) -> str:
    from rental.customers import CustomerFacade

    found = CustomerFacade().find_customer_by_email(email)
    assert found is not None
    return found.id

"""Secrets and personal data stay private: the server makes every manage token, pages that
carry one are never cached, access logs show no tokens, the SQLite file is readable by its
owner only, display text holds no bidi overrides or control characters, and redirects are
built from validated values only."""

from __future__ import annotations

import os
import re
import shlex
import stat
import urllib.parse
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer

from rental.booking import BookingFacade, ListReservations
from rental.catalog import CatalogFacade, CreateCategory, DefineEquipmentType
from rental.inventory import (
    ChangeItemStatus,
    InventoryFacade,
    RegisterEquipment,
    ScheduleMaintenance,
)
from rental.shared.time_range import TimeRange
from tests.support.auth import csrf_token
from tests.support.databases import migrate
from tests.support.fleet import make_type, tomorrow_at
from tests.support.http_client import Browser
from tests.support.processes import ROOT, Proc, free_port, process_env, wait_for_http

DETAILS = {
    "name": "Jo Builder",
    "email": "jo@example.com",
    "phone": "+49 30 555 0101",
    "street": "Baustr. 7",
    "city": "Berlin",
    "state": "Berlin",
    "postal_code": "10115",
    "country": "Germany",
}
TOKEN_FIELD = re.compile(r'name="booking_token" value="([^"]+)"')
REVIEW = re.compile(r"/book/review/(RK-[A-Z0-9]+)/([A-Za-z0-9_-]+)$")


def request_params() -> dict[str, str]:
    return {
        "basis": "hourly",
        "start": tomorrow_at(9).strftime("%Y-%m-%dT%H:%M"),
        "end": tomorrow_at(17).strftime("%Y-%m-%dT%H:%M"),
        "quantity": "1",
    }


def _details_form(client, slug: str) -> str:
    page = client.get(f"/book/{slug}/details", query_string=request_params())
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    return TOKEN_FIELD.search(page.get_data(as_text=True)).group(1)


def _book(client, slug: str, **extra: str):
    data = {**request_params(), **DETAILS, "csrf_token": csrf_token(client, "/login"), **extra}
    return client.post(f"/book/{slug}/details", data=data)


# --- manage tokens ------------------------------------------------------------------------------


def test_the_server_makes_the_manage_token_whatever_the_form_says(app, client):
    fleet = make_type(units=3)
    chosen = "A" * 32  # looks like a token; the server never issued it
    response = _book(client, fleet.slug, booking_token=chosen)
    assert response.status_code == 303
    token = REVIEW.search(response.headers["Location"]).group(2)
    assert token != chosen and len(token) == 32
    forged = URLSafeTimedSerializer("not our key", salt="rentkit.booking-token").dumps("B" * 32)
    again = _book(client, fleet.slug, booking_token=forged, email="other@example.com")
    assert "B" * 32 not in again.headers["Location"]
    assert BookingFacade().list_reservations(ListReservations()).total == 2


def test_the_issued_token_keeps_a_double_submit_to_one_hold(app, client):
    fleet = make_type(units=3)
    issued = _details_form(client, fleet.slug)
    assert not re.fullmatch(r"[A-Za-z0-9_-]{32}", issued)  # signed, not the token itself
    first = _book(client, fleet.slug, booking_token=issued)
    second = _book(client, fleet.slug, booking_token=issued)
    assert first.headers["Location"] == second.headers["Location"]
    assert BookingFacade().list_reservations(ListReservations()).total == 1
    token = REVIEW.search(first.headers["Location"]).group(2)
    assert token not in issued  # the form never shows the token in clear


def test_every_page_that_carries_a_token_is_never_cached(app, client):
    fleet = make_type(units=3)
    booked = _book(client, fleet.slug, booking_token=_details_form(client, fleet.slug))
    assert booked.headers["Cache-Control"] == "no-store"
    review = booked.headers["Location"]
    reference, token = REVIEW.search(review).groups()
    csrf = csrf_token(client, "/login")
    pages = [
        client.get(review),
        client.post(review, data={"csrf_token": csrf}),
        client.get(f"/book/confirmed/{reference}/{token}"),
        client.get(f"/r/{reference}/{token}"),
        client.get(f"/r/{reference}/{token}", headers={"HX-Request": "true"}),
        client.get(f"/r/{reference}/{token}/cancel"),
        client.post(f"/r/{reference}/{token}/cancel", data={"reason": "", "csrf_token": csrf}),
        client.get(f"/r/{reference}/wrong-token"),  # the 404 too
    ]
    for response in pages:
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    assert "no-store" not in client.get(f"/catalog/{fleet.slug}").headers.get("Cache-Control", "")


def test_the_access_log_never_shows_a_manage_token(tmp_path):
    """gunicorn started with the Procfile's own command line; its access log is read back."""
    from rental import create_app
    from rental.extensions import db

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        slug = make_type(units=2).slug
        db.engine.dispose()
    port = free_port()
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    command = line.split(":", 1)[1]
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"}.items():
        command = re.sub(r"\$\{" + name + r":-[^}]*\}", value, command)
    web = Proc(shlex.split(command), process_env(url), tmp_path / "web.log")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
        browser = Browser(f"http://127.0.0.1:{port}")
        form = browser.open(f"/book/{slug}/details?" + urllib.parse.urlencode(request_params()))
        data = {
            **request_params(),
            **DETAILS,
            "booking_token": TOKEN_FIELD.search(form.body).group(1),
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form.body).group(1),
        }
        review = browser.open(f"/book/{slug}/details", data).headers["Location"]
        reference, token = REVIEW.search(review).groups()
        browser.open(review, {"csrf_token": data["csrf_token"]})
        browser.open(f"/r/{reference}/{token}")
        browser.open("/static/css/app.css", headers={"Referer": f"http://x/r/{reference}/{token}"})
        browser.open(f"/r/{reference}/{token}/cancel?x=1")
    finally:
        web.stop()
    log = web.log()
    assert f"GET /r/{reference}/[redacted] HTTP" in log  # the request was logged...
    assert f"/r/{reference}/[redacted]/cancel?x=1" in log
    assert f"http://x/r/{reference}/[redacted]" in log  # ...and the Referer
    assert token not in log  # ...without the token


# --- the SQLite file ----------------------------------------------------------------------------


def test_the_sqlite_database_and_its_wal_files_are_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "private.db"
    migrate(f"sqlite:///{path}")
    from rental import create_app
    from rental.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        conn.commit()
        for name in (path, f"{path}-wal", f"{path}-shm"):
            assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
        db.engine.dispose()


def test_a_database_file_left_readable_by_an_old_version_is_tightened(tmp_path):
    path = tmp_path / "old.db"
    path.touch()
    os.chmod(path, 0o644)
    migrate(f"sqlite:///{path}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# --- display text -------------------------------------------------------------------------------

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


def test_bidi_and_control_characters_never_reach_display_fields(app):
    catalog = CatalogFacade()
    category = catalog.create_category(CreateCategory(name=f"Po{RLO}wer\x07"))
    type_id = catalog.define_equipment_type(
        DefineEquipmentType(
            name=f"Gen{LRI}erator{PDI}",
            category_id=category,
            short_description=f"Quiet{RLO}\x1b[31m",
            description=f"Line one{RLO}\nLine\x00 two",
            specs={"fuel": f"die{RLO}sel"},
        )
    )
    details = catalog.get_equipment_type_details(type_id)
    assert catalog.list_categories()[0].name == "Power"
    assert (details.name, details.short_description) == ("Generator", "Quiet[31m")
    assert details.description == "Line one\nLine two" and details.specs == {"fuel": "diesel"}

    inventory = InventoryFacade()
    item = inventory.register_new_equipment(
        RegisterEquipment(type_id, "SN-1", location=f"Yard{RLO} 2", notes=f"ok{LRI}\nfine")
    )
    inventory.change_item_status(ChangeItemStatus(item, "MAINTENANCE", f"Oil{RLO} leak", "ops"))
    start = tomorrow_at(9, days=30)
    inventory.schedule_maintenance(
        ScheduleMaintenance(item, TimeRange(start, start + timedelta(hours=2)), f"Ser{PDI}vice")
    )
    shown = inventory.get_item(item)
    assert (shown.location, shown.notes) == ("Yard 2", "ok\nfine")
    assert any(h.reason == "Oil leak" for h in shown.history)
    assert [w.reason for w in shown.maintenance] == ["Service"]


def test_a_cancellation_reason_is_cleaned_too(app, client):
    fleet = make_type(units=2)
    review = _book(client, fleet.slug).headers["Location"]
    reference, token = REVIEW.search(review).groups()
    client.post(
        f"/r/{reference}/{token}/cancel",
        data={"reason": f"Plans{RLO} changed", "csrf_token": csrf_token(client, "/login")},
    )
    reservation = BookingFacade().list_reservations(ListReservations()).items[0]
    assert BookingFacade().get_reservation(reservation.id).cancellation_reason == "Plans changed"


# --- redirects ----------------------------------------------------------------------------------


def test_the_turnaround_form_redirects_only_to_a_real_equipment_type(app, admin_client):
    fleet = make_type(units=1)
    csrf = csrf_token(admin_client, "/admin/")
    for hostile in ("https://evil.example/", "x\r\nSet-Cookie: a=b", "../../admin/users", ""):
        response = admin_client.post(
            "/admin/reservations/timeline/turnaround",
            data={"type": hostile, "turnaround": "60", "csrf_token": csrf},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == "/admin/reservations/timeline", hostile
    ok = admin_client.post(
        "/admin/reservations/timeline/turnaround",
        data={"type": fleet.type_id, "turnaround": "90", "csrf_token": csrf},
    )
    assert ok.headers["Location"] == f"/admin/reservations/timeline?type={fleet.type_id}"
    assert BookingFacade().turnaround(fleet.type_id) == timedelta(minutes=90)
    bad_minutes = admin_client.post(
        "/admin/reservations/timeline/turnaround",
        data={"type": fleet.type_id, "turnaround": "²", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "buffer in minutes as a whole number" in bad_minutes.get_data(as_text=True)


def test_staff_actions_on_an_unknown_reservation_are_a_404_not_a_redirect(app, admin_client):
    response = admin_client.post(
        "/admin/reservations/no-such-id/confirm",
        data={"csrf_token": csrf_token(admin_client, "/admin/")},
    )
    assert response.status_code == 404 and "Location" not in response.headers

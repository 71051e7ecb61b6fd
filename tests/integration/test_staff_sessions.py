"""Server-side staff sessions: signing out ends the session on the server, so a copied cookie
stops working; staff see where they are signed in and can sign other devices out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from rental.accounts import AccountsFacade, DeactivateUser
from rental.extensions import db
from rental.shared.time_range import utcnow
from tests.support.auth import csrf_token, sign_in

COOKIE = "rentkit_session"


def copy_of(app, client):
    """A second client carrying the same session cookie, as a thief with a copy would."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(app, admin_client):
    thief = copy_of(app, admin_client)
    assert thief.get("/admin/").status_code == 200  # the copy works while the owner is in
    response = admin_client.post(
        "/logout", data={"csrf_token": csrf_token(admin_client, "/admin/")}
    )
    assert response.status_code == 303
    replay = thief.get("/admin/customers")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/login")


def test_signing_out_ends_only_that_sign_in(app, admin_user):
    laptop = sign_in(app.test_client(), admin_user)
    phone = sign_in(app.test_client(), admin_user)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/admin/")})
    assert laptop.get("/admin/").status_code == 302
    assert phone.get("/admin/").status_code == 200


def test_the_account_page_lists_sign_ins_and_signs_out_another_device(app, admin_user):
    laptop = sign_in(app.test_client(), admin_user)
    laptop.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/129.0 Mobile Safari/537.36"
    )
    phone.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    sign_in(phone, admin_user)
    page = laptop.get("/admin/account").get_data(as_text=True)
    assert "Where you are signed in" in page
    assert "Chrome on Android" in page and "198.51.100.7" in page
    assert page.count("THIS DEVICE") == 1
    sessions = AccountsFacade().list_sessions(admin_user.id)
    assert len(sessions) == 2
    phone_session = next(s for s in sessions if s.ip == "198.51.100.7")
    ended = laptop.post(
        f"/admin/account/sessions/{phone_session.id}/end",
        data={"csrf_token": csrf_token(laptop, "/admin/")},
    )
    assert ended.status_code == 303
    assert phone.get("/admin/").status_code == 302
    assert laptop.get("/admin/").status_code == 200
    assert [s.ip for s in AccountsFacade().list_sessions(admin_user.id)] != ["198.51.100.7"]


def test_sign_out_all_other_devices(app, admin_user):
    here = sign_in(app.test_client(), admin_user)
    others = [sign_in(app.test_client(), admin_user) for _ in range(2)]
    response = here.post(
        "/admin/account/sessions/end-others", data={"csrf_token": csrf_token(here, "/admin/")}
    )
    assert response.status_code == 303
    assert "Signed out 2 other devices." in here.get("/admin/account").get_data(as_text=True)
    assert [c.get("/admin/").status_code for c in others] == [302, 302]
    assert here.get("/admin/").status_code == 200


def test_nobody_can_end_someone_elses_session(app, admin_user, staff_user, staff_client):
    admin = sign_in(app.test_client(), admin_user)
    admin_session = AccountsFacade().list_sessions(admin_user.id)[0]
    response = staff_client.post(
        f"/admin/account/sessions/{admin_session.id}/end",
        data={"csrf_token": csrf_token(staff_client, "/admin/")},
    )
    assert response.status_code == 404
    assert admin.get("/admin/").status_code == 200


def test_password_change_and_deactivation_end_the_server_side_sessions(app, admin_user, staff_user):
    staff = sign_in(app.test_client(), staff_user)
    assert len(AccountsFacade().list_sessions(staff_user.id)) == 1
    AccountsFacade().deactivate_user(DeactivateUser(admin_user.id, staff_user.id))
    assert AccountsFacade().list_sessions(staff_user.id) == []
    assert staff.get("/admin/").status_code == 302

    here, there = sign_in(app.test_client(), admin_user), sign_in(app.test_client(), admin_user)
    here.post(
        "/admin/account/password",
        data={
            "csrf_token": csrf_token(here, "/admin/"),
            "current_password": admin_user.password,
            "new_password": "a brand new passphrase",
        },
    )
    assert len(AccountsFacade().list_sessions(admin_user.id)) == 1  # only the new one, here
    assert here.get("/admin/").status_code == 200 and there.get("/admin/").status_code == 302


def test_a_session_older_than_the_lifetime_is_refused_on_the_server(app, staff_user):
    from rental.accounts.infrastructure.entities import SessionEntity

    client = sign_in(app.test_client(), staff_user)
    hours = app.config["STAFF_SESSION_HOURS"]
    with db.engine.begin() as conn:
        conn.execute(
            update(SessionEntity).values(created_at=utcnow() - timedelta(hours=hours, seconds=1))
        )
    assert client.get("/admin/").status_code == 302


def test_last_seen_is_written_at_most_every_few_minutes(app, staff_user):
    from rental.accounts.infrastructure.entities import SessionEntity

    client = sign_in(app.test_client(), staff_user)

    def last_seen():
        with db.engine.connect() as conn:
            return conn.execute(select(SessionEntity.last_seen_at)).scalar_one()

    first = last_seen()
    client.get("/admin/")
    assert last_seen() == first  # seen a moment ago: no write
    earlier = utcnow() - timedelta(minutes=10)
    with db.engine.begin() as conn:
        conn.execute(update(SessionEntity).values(last_seen_at=earlier))
    client.get("/admin/")
    assert last_seen() > earlier + timedelta(minutes=9)


def test_old_ended_sessions_are_purged(app, staff_user):
    from rental.accounts.infrastructure.entities import SessionEntity

    client = sign_in(app.test_client(), staff_user)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    sign_in(app.test_client(), staff_user)
    with db.engine.begin() as conn:
        conn.execute(
            update(SessionEntity)
            .where(SessionEntity.revoked_at.is_not(None))
            .values(revoked_at=utcnow() - timedelta(days=31))
        )
    assert AccountsFacade().purge_sessions() == 1
    assert len(AccountsFacade().list_sessions(staff_user.id)) == 1

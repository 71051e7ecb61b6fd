"""Staff accounts: the user admin pages, the CLI and the demo accounts."""

from __future__ import annotations

from pathlib import Path

from rental.accounts import AccountsFacade, DeactivateUser, SignIn
from rental.customers import CustomerFacade, SearchCustomers
from tests.support.auth import create_staff, csrf_token, login


def test_admin_creates_a_staff_user_with_a_generated_password_shown_once(app, admin_client):
    token = csrf_token(admin_client)
    response = admin_client.post(
        "/admin/users/new",
        data={"email": "New.Person@example.com", "role": "STAFF", "csrf_token": token},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = body.split('<p class="one-time-secret"><code>')[1].split("</code>")[0]
    assert len(password) >= 12
    assert login(app.test_client(), "new.person@example.com", password).status_code == 303
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "new.person@example.com" in listing and password not in listing


def test_user_form_errors(admin_client, admin_user):
    token = csrf_token(admin_client)
    bad = admin_client.post(
        "/admin/users/new",
        data={"email": "x", "role": "STAFF", "password": "short", "csrf_token": token},
    )
    assert bad.status_code == 422 and "valid email" in bad.get_data(as_text=True)
    duplicate = admin_client.post(
        "/admin/users/new",
        data={"email": admin_user.email, "role": "ADMIN", "password": "", "csrf_token": token},
    )
    assert duplicate.status_code == 409 and "already exists" in duplicate.get_data(as_text=True)


def test_change_role_deactivate_and_reactivate(app, admin_client, admin_user):
    staff = create_staff("STAFF")
    token = csrf_token(admin_client)
    admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "ADMIN", "csrf_token": token})
    assert AccountsFacade().get_user(staff.id).role == "ADMIN"
    admin_client.post(f"/admin/users/{staff.id}/deactivate", data={"csrf_token": token})
    assert not AccountsFacade().get_user(staff.id).active
    assert login(app.test_client(), staff.email, staff.password).status_code == 422
    admin_client.post(f"/admin/users/{staff.id}/reactivate", data={"csrf_token": token})
    assert login(app.test_client(), staff.email, staff.password).status_code == 303


def test_the_users_page_offers_only_the_allowed_actions(admin_client, admin_user):
    active, inactive = create_staff("STAFF"), create_staff("STAFF")
    AccountsFacade().deactivate_user(DeactivateUser(admin_user.id, inactive.id))
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{active.id}/deactivate" in page
    assert f"/admin/users/{active.id}/reactivate" not in page
    assert f"/admin/users/{inactive.id}/reactivate" in page
    assert f"/admin/users/{inactive.id}/deactivate" not in page
    assert f"/admin/users/{admin_user.id}/deactivate" not in page  # never your own account
    assert f"/admin/users/{admin_user.id}/role" in page


def test_admins_cannot_lock_themselves_or_everyone_out(admin_client, admin_user):
    token = csrf_token(admin_client)
    own = admin_client.post(f"/admin/users/{admin_user.id}/deactivate", data={"csrf_token": token})
    assert own.status_code == 409 and "your own account" in own.get_data(as_text=True)
    demote = admin_client.post(
        f"/admin/users/{admin_user.id}/role", data={"role": "STAFF", "csrf_token": token}
    )
    assert demote.status_code == 409 and "At least one active admin" in demote.get_data(
        as_text=True
    )


def test_change_own_password_checks_the_current_one(staff_client, staff_user):
    token = csrf_token(staff_client)
    wrong = staff_client.post(
        "/admin/account/password",
        data={
            "current_password": "nope",
            "new_password": "a long new passphrase",
            "csrf_token": token,
        },
    )
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "not your current password" in body
    assert 'aria-describedby="f-current_password-error' in body


def signed_in(email: str, password: str):
    """The user signed in with these credentials (through the facade, as /login does)."""
    facade = AccountsFacade()
    return facade.user_for_session(facade.sign_in(SignIn(email, password, "192.0.2.1", "")))


def test_cli_create_admin_from_a_password_file_and_from_prompts(app, tmp_path):
    runner = app.test_cli_runner()
    secret = tmp_path / "pw"
    secret.write_text("a fine admin passphrase\n")
    result = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--email",
            "Boss@Example.com",
            "--password-file",
            str(secret),
        ]
    )
    assert result.exit_code == 0, result.output
    user = signed_in("boss@example.com", "a fine admin passphrase")
    assert user is not None and user.role == "ADMIN"
    prompted = runner.invoke(
        args=["accounts", "create-admin"],
        input="second@example.com\nanother fine passphrase\nanother fine passphrase\n",
    )
    assert prompted.exit_code == 0, prompted.output
    again = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--email",
            "boss@example.com",
            "--password-file",
            str(secret),
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        args=["accounts", "create-admin", "--email", "x@example.com", "--password-file", "-"],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12" in short.output


def test_cli_reset_password(app, admin_user):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["accounts", "reset-password", "--email", admin_user.email, "--password-file", "-"],
        input="a completely new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert signed_in(admin_user.email, "a completely new passphrase")


def test_demo_seed_creates_staff_and_customers_once_and_writes_the_credentials(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    path = Path(app.config["DEMO_CREDENTIALS_FILE"])
    text = path.read_text()
    assert "admin@example.com" in text and "staff@example.com" in text
    assert path.stat().st_mode & 0o077 == 0  # readable by the owner only
    password = text.split("admin@example.com")[1].split("password:")[1].split()[0]
    assert signed_in("admin@example.com", password).role == "ADMIN"
    total = CustomerFacade().search_customers(SearchCustomers()).total
    assert 8 <= total <= 15
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # idempotent
    assert CustomerFacade().search_customers(SearchCustomers()).total == total
    assert path.read_text() == text
    assert len(AccountsFacade().list_users()) == 2


def test_demo_users_are_created_only_when_there_is_no_staff_user_yet(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["accounts", "demo-users"]).exit_code == 0
    assert AccountsFacade().find_user_by_email("admin@example.com").role == "ADMIN"
    Path(app.config["DEMO_CREDENTIALS_FILE"]).unlink()
    assert runner.invoke(args=["accounts", "demo-users"]).exit_code == 0  # users exist: no-op
    assert not Path(app.config["DEMO_CREDENTIALS_FILE"]).exists()
    assert len(AccountsFacade().list_users()) == 2


def test_current_actor_is_the_signed_in_staff_email(app, staff_user):
    from rental.shared.web import current_actor

    with app.test_request_context("/admin/"):
        assert current_actor() == "anonymous"
    client = app.test_client()
    login(client, staff_user.email, staff_user.password)
    with client:
        client.get("/admin/")
        assert current_actor() == staff_user.email

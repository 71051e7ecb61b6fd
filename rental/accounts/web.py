"""Sign in and out, the staff user admin (admins only) and the own-account page."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
)
from rental.accounts.facade import AccountsFacade
from rental.accounts.security import (
    client_ip,
    end_session,
    safe_next,
    start_session,
    throttle,
    wait_message,
)
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.web import admin_only, render

bp = Blueprint("accounts", __name__)
GENERIC_LOGIN_ERROR = "That email and password do not match an active staff account."
ROLES = ("STAFF", "ADMIN")


# --- sign in / out ----------------------------------------------------------------------------


@bp.get("/login")
def login() -> Response:
    next_path = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("admin.dashboard"), code=303)
    return render("accounts/login.html", next_path=next_path, email="", error=None)


@bp.post("/login")
def login_submit() -> Response:
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    next_path = safe_next(request.form.get("next"))
    gate = throttle()
    ip = client_ip()
    wait = gate.retry_after(ip, email)
    if wait is not None:
        return _login_page(email, next_path, wait_message(wait), 429, retry_after=wait)
    user = AccountsFacade().authenticate(email, password)
    if user is None:
        gate.failed(ip, email)
        return _login_page(email, next_path, GENERIC_LOGIN_ERROR, 422)
    gate.succeeded(ip, email)
    start_session(user)
    return redirect(next_path or url_for("admin.dashboard"), code=303)


def _login_page(
    email: str, next_path: str | None, error: str, status: int, retry_after: int | None = None
) -> Response:
    response = render(
        "accounts/login.html", next_path=next_path, email=email, error=error, status=status
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout() -> Response:
    end_session()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"), code=303)


# --- own account ------------------------------------------------------------------------------


@bp.get("/admin/account")
def account() -> Response:
    return render("accounts/account.html", errors={})


@bp.post("/admin/account/password")
def change_password() -> Response:
    facade = AccountsFacade()
    try:
        facade.change_own_password(
            ChangeOwnPassword(
                current_user.id,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
            )
        )
    except ValidationError as exc:
        return render("accounts/account.html", errors=exc.errors, status=422)
    # The password change ended every session of this user; start a new one for this browser.
    start_session(facade.get_user(current_user.id))
    flash("Password changed. Other devices signed in as you have been signed out.", "success")
    return redirect(url_for("accounts.account"), code=303)


# --- staff user admin (admins only) -----------------------------------------------------------


@bp.get("/admin/users")
@admin_only
def users() -> Response:
    return render("accounts/users.html", users=AccountsFacade().list_users(), roles=ROLES)


@bp.get("/admin/users/new")
@admin_only
def new_user() -> Response:
    return render("accounts/new_user.html", values={"role": "STAFF"}, errors={}, roles=ROLES)


@bp.post("/admin/users/new")
@admin_only
def create_user() -> Response:
    email = request.form.get("email", "")
    role = request.form.get("role", "STAFF")
    password = request.form.get("password", "")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    try:
        AccountsFacade().create_user(CreateStaffUser(email=email, password=password, role=role))
    except (ValidationError, ConflictError) as exc:
        errors = getattr(exc, "errors", None) or {exc.field or "email": exc.message}
        return render(
            "accounts/new_user.html",
            values={"email": email, "role": role},
            errors=errors,
            roles=ROLES,
            status=409 if isinstance(exc, ConflictError) else 422,
        )
    if generated:
        # Shown once, in this response only (never stored in the session or a flash message).
        response = render(
            "accounts/user_created.html", email=email.strip().lower(), password=password
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(f"Staff user {email.strip().lower()} created.", "success")
    return redirect(url_for("accounts.users"), code=303)


@bp.post("/admin/users/<user_id>/role")
@admin_only
def change_role(user_id: str) -> Response:
    AccountsFacade().change_role(ChangeRole(current_user.id, user_id, request.form.get("role", "")))
    flash("Role changed.", "success")
    return redirect(url_for("accounts.users"), code=303)


@bp.post("/admin/users/<user_id>/deactivate")
@admin_only
def deactivate(user_id: str) -> Response:
    AccountsFacade().deactivate_user(DeactivateUser(current_user.id, user_id))
    flash("Staff user deactivated and signed out everywhere.", "success")
    return redirect(url_for("accounts.users"), code=303)


@bp.post("/admin/users/<user_id>/reactivate")
@admin_only
def reactivate(user_id: str) -> Response:
    AccountsFacade().reactivate_user(ReactivateUser(user_id))
    flash("Staff user reactivated.", "success")
    return redirect(url_for("accounts.users"), code=303)

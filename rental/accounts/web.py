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
    end_session,
    login_throttle,
    refusal_message,
    safe_next,
    start_session,
)
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.throttle import client_ip
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
    gate = login_throttle()
    ip = client_ip()
    # Checked before the password: while paused, even the right password is refused.
    refusal = gate.admit(email, ip)
    if refusal is not None:
        return _login_page(
            email,
            next_path,
            refusal_message(refusal),
            429,
            retry_after=refusal.decision.retry_after,
        )
    user = AccountsFacade().authenticate(email, password)
    if user is None:
        gate.failed(email, ip)
        return _login_page(email, next_path, GENERIC_LOGIN_ERROR, 422)
    gate.succeeded(email, ip)
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
    return _account_page({})


def _account_page(errors: dict[str, str], status: int = 200) -> Response:
    return render(
        "accounts/account.html",
        errors=errors,
        sessions=AccountsFacade().list_sessions(current_user.id),
        current_session_id=current_user.details.session_id,
        describe_device=describe_device,
        status=status,
    )


@bp.post("/admin/account/sessions/<session_id>/end")
def end_other_session(session_id: str) -> Response:
    if session_id == current_user.details.session_id:
        # Ending the session in use is signing out.
        return logout()
    if not AccountsFacade().end_other_session(current_user.id, session_id):
        raise NotFoundError("That sign-in has already ended, or it is not yours.")
    flash("That device has been signed out.", "success")
    return redirect(url_for("accounts.account"), code=303)


@bp.post("/admin/account/sessions/end-others")
def end_all_other_sessions() -> Response:
    ended = AccountsFacade().end_all_other_sessions(
        current_user.id, current_user.details.session_id
    )
    flash(
        f"Signed out {ended} other device{'s' if ended != 1 else ''}."
        if ended
        else "No other device was signed in.",
        "success",
    )
    return redirect(url_for("accounts.account"), code=303)


def describe_device(user_agent: str) -> str:
    """'Firefox on Linux' from a User-Agent header: enough to recognise one's own devices."""
    ua = user_agent or ""
    browsers = (
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    )
    systems = (
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    )
    browser = next((name for mark, name in browsers if mark in ua), None)
    system = next((name for mark, name in systems if mark in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


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
        return _account_page(exc.errors, status=422)
    # The password change ended every session of this user; start a new one for this browser.
    start_session(facade.get_user(current_user.id))
    flash("Password changed. Other devices signed in as you have been signed out.", "success")
    return redirect(url_for("accounts.account"), code=303)


# --- staff user admin (admins only) -----------------------------------------------------------


@bp.get("/admin/users")
@admin_only
def users() -> Response:
    listed = AccountsFacade().list_users()
    gate = login_throttle()
    return render(
        "accounts/users.html",
        users=listed,
        roles=ROLES,
        sign_in={u.id: gate.status(u.email) for u in listed},
    )


@bp.get("/admin/users/<user_id>/unlock")
@admin_only
def unlock_form(user_id: str) -> Response:
    user = AccountsFacade().get_user(user_id)
    return render("accounts/unlock.html", user=user, status_=login_throttle().status(user.email))


@bp.post("/admin/users/<user_id>/unlock")
@admin_only
def unlock(user_id: str) -> Response:
    user = AccountsFacade().get_user(user_id)
    login_throttle().unlock(user.email)
    flash(f"Sign-in unlocked for {user.email}: the failed attempts are forgotten.", "success")
    return redirect(url_for("accounts.users"), code=303)


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

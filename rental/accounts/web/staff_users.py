"""Staff user admin (admins only): add users, change roles, deactivate and reactivate, and
unlock an account's sign-in after too many failed attempts."""

from __future__ import annotations

import secrets

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user

from rental.accounts.application.commands import (
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
)
from rental.accounts.facade import AccountsFacade
from rental.accounts.web.blueprint import bp
from rental.shared.email import normalise_email
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.web import admin_only, render

ROLES = ("STAFF", "ADMIN")


@bp.get("/admin/users")
@admin_only
def users() -> Response:
    facade = AccountsFacade()
    entries = facade.list_users(current_user.id)
    return render(
        "accounts/users.html",
        entries=entries,
        roles=ROLES,
        sign_in={e.user.id: facade.sign_in_status(e.user.email) for e in entries},
    )


@bp.get("/admin/users/<user_id>/unlock")
@admin_only
def unlock_form(user_id: str) -> Response:
    facade = AccountsFacade()
    user = facade.get_user(user_id)
    return render("accounts/unlock.html", user=user, status_=facade.sign_in_status(user.email))


@bp.post("/admin/users/<user_id>/unlock")
@admin_only
def unlock(user_id: str) -> Response:
    facade = AccountsFacade()
    user = facade.get_user(user_id)
    facade.unlock_sign_in(user.email)
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
            "accounts/user_created.html", email=normalise_email(email), password=password
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(f"Staff user {normalise_email(email)} created.", "success")
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

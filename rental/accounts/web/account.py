"""The signed-in staff member's own account (any staff): password and sign-ins."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user

from rental.accounts.application.commands import ChangeOwnPassword
from rental.accounts.facade import AccountsFacade
from rental.accounts.web.blueprint import bp
from rental.accounts.web.sign_in import logout, remember_session
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.throttle import client_ip
from rental.shared.web import render


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
    login_id = facade.start_session(
        current_user.id, client_ip(), request.headers.get("User-Agent", "")
    )
    remember_session(login_id)
    flash("Password changed. Other devices signed in as you have been signed out.", "success")
    return redirect(url_for("accounts.account"), code=303)

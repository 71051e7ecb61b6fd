"""Signing in and out.

Every sign-in is a server-side session (`accounts_sessions`). Flask-Login keeps the staff user in
the signed cookie by its login ID, "<user id>:<session token>:<session id>": signing out ends
that session on the server, so a copied cookie stops working; changing the password or
deactivating the account changes the token and ends every session of the user.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Response, flash, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, current_user, login_user, logout_user

from rental.accounts.application.commands import SignIn
from rental.accounts.application.queries import StaffUserDetails
from rental.accounts.domain.models import SignInPaused, SignInRejected
from rental.accounts.facade import AccountsFacade
from rental.accounts.web.blueprint import bp
from rental.shared.throttle import client_ip
from rental.shared.web import render

# When this browser signed in (seconds since the epoch): the cookie's own expiry, next to the
# server-side session's.
LOGIN_AT = "_login_at"


class LoginUser:
    """What flask_login.current_user is for a signed-in staff member."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: StaffUserDetails) -> None:
        self.details = user
        self.id = user.id
        self.email = user.email
        self.role = user.role

    @property
    def is_admin(self) -> bool:
        return self.details.is_admin

    def get_id(self) -> str:
        return self.details.login_id


class Anonymous(AnonymousUserMixin):
    email = None
    role = None
    is_admin = False


def load_user(login_id: str) -> LoginUser | None:
    """Flask-Login's user loader: the cookie counts only while its session is live."""
    user = AccountsFacade().user_for_session(login_id)
    return LoginUser(user) if user else None


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site (no scheme, no host, no '//' or '\\' tricks)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def remember_session(login_id: str) -> bool:
    """Put a freshly started session into a fresh cookie: nothing from before survives (no
    fixation). False when the session is already gone again (the account was deactivated
    in between)."""
    user = AccountsFacade().user_for_session(login_id)
    session.clear()
    if user is None:
        return False
    login_user(LoginUser(user))
    session[LOGIN_AT] = int(time.time())
    return True


def end_session() -> None:
    """Sign out: end this session on the server too, then forget the cookie's contents."""
    if current_user.is_authenticated:
        AccountsFacade().end_session(current_user.get_id())
    logout_user()
    session.clear()


# --- views --------------------------------------------------------------------------------------


@bp.get("/login")
def login() -> Response:
    next_path = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("admin.dashboard"), code=303)
    return render("accounts/login.html", next_path=next_path, email="", error=None)


@bp.post("/login")
def login_submit() -> Response:
    email = request.form.get("email", "").strip()
    next_path = safe_next(request.form.get("next"))
    command = SignIn(
        email=email,
        password=request.form.get("password", ""),
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent", ""),
    )
    try:
        login_id = AccountsFacade().sign_in(command)
    except SignInPaused as exc:
        return _login_page(email, next_path, exc.message, 429, retry_after=exc.retry_after)
    except SignInRejected as exc:
        return _login_page(email, next_path, exc.message, 422)
    if not remember_session(login_id):
        return _login_page(email, next_path, SignInRejected().message, 422)
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

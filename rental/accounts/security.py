"""Login sessions and the gate in front of /admin.

- Flask-Login keeps the staff user in the session as "<user id>:<session token>"; changing the
  password or deactivating the account changes the token and so ends every session.
- Everything under /admin needs an active staff user; views marked with
  `rental.shared.web.admin_only` need the ADMIN role. The gate is one `before_request` hook, so
  admin pages of every module are covered without importing this module.
- Logins are throttled per client IP and per account (failed attempts only) with the storage
  of Flask-Limiter (in memory by default, RATELIMIT_STORAGE_URI for a shared store).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin, LoginManager, current_user, login_user, logout_user
from limits import RateLimitItem, parse

from rental.accounts.application.commands import StaffUserDetails
from rental.accounts.facade import AccountsFacade

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


def _load_user(login_id: str) -> LoginUser | None:
    user = AccountsFacade().user_for_session(login_id)
    return LoginUser(user) if user else None


# --- redirects --------------------------------------------------------------------------------


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


def _login_url(next_path: str | None) -> str:
    url = url_for("accounts.login")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def _next_for_this_request() -> str | None:
    if request.headers.get("HX-Request") == "true":
        current = request.headers.get("HX-Current-URL", "")
        parts = urlsplit(current)
        if parts.netloc and parts.netloc != request.host:
            return None
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return safe_next(path)
    if request.method in ("GET", "HEAD"):
        return safe_next(request.full_path.rstrip("?"))
    return None


def login_required_response() -> Response:
    target = _login_url(_next_for_this_request())
    if request.headers.get("HX-Request") == "true":
        # htmx would swap a login page into a fragment: tell it to navigate instead.
        response = Response("", status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=302)


# --- the gate ---------------------------------------------------------------------------------


def is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def _session_expired() -> bool:
    started = session.get(LOGIN_AT)
    hours = float(current_app.config.get("STAFF_SESSION_HOURS", 12))
    if not isinstance(started, int | float):
        return True
    return time.time() - started > hours * 3600


def _gate() -> Response | None:
    if not is_admin_path(request.path):
        return None
    if current_user.is_authenticated and _session_expired():
        end_session()
    if not current_user.is_authenticated:
        return login_required_response()
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "admin_only", False) and not current_user.is_admin:
        abort(403, "Only administrators can do this. Ask an admin if you need it done.")
    return None


def _no_store(response: Response) -> Response:
    # Staff pages show personal data: never keep them in a shared or back-button cache.
    if is_admin_path(request.path) or request.path in ("/login", "/logout"):
        response.headers["Cache-Control"] = "no-store"
    return response


def start_session(user: StaffUserDetails) -> None:
    """A fresh session for a fresh login: nothing from before survives (no fixation)."""
    session.clear()
    login_user(LoginUser(user))
    session[LOGIN_AT] = int(time.time())


def end_session() -> None:
    logout_user()
    session.clear()


# --- login throttling -------------------------------------------------------------------------


@dataclass
class LoginThrottle:
    limiter: Limiter
    per_ip: RateLimitItem
    per_account: RateLimitItem

    def _keys(self, ip: str, email: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [
            (self.per_ip, ("login-ip", ip)),
            (self.per_account, ("login-account", email.strip().lower())),
        ]

    def retry_after(self, ip: str, email: str) -> int | None:
        """Seconds until a new attempt is allowed, or None when one is allowed now."""
        strategy = self.limiter.limiter
        for item, key in self._keys(ip, email):
            if not strategy.test(item, *key):
                reset_at, _remaining = strategy.get_window_stats(item, *key)
                return max(1, int(reset_at - time.time()) + 1)
        return None

    def failed(self, ip: str, email: str) -> None:
        for item, key in self._keys(ip, email):
            self.limiter.limiter.hit(item, *key)

    def succeeded(self, ip: str, email: str) -> None:
        item, key = self._keys(ip, email)[1]
        self.limiter.limiter.clear(item, *key)

    def reset(self) -> None:
        self.limiter.reset()


THROTTLE_KEY = "accounts.login_throttle"


def throttle() -> LoginThrottle:
    return current_app.extensions[THROTTLE_KEY]


def client_ip() -> str:
    return get_remote_address() or "unknown"


def wait_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    when = "about a minute" if minutes == 1 else f"about {minutes} minutes"
    return (
        "Too many failed sign-in attempts. For your security, signing in is paused for this "
        f"account or network — please try again in {when}."
    )


def init_security(app: Flask) -> None:
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.anonymous_user = Anonymous
    manager.session_protection = "basic"
    manager.init_app(app)
    app.extensions["login_manager"] = manager  # rental.shared.web.current_actor() looks here

    limiter = Limiter(get_remote_address, app=app, default_limits=[], headers_enabled=False)
    app.extensions[THROTTLE_KEY] = LoginThrottle(
        limiter,
        parse(app.config.get("LOGIN_RATE_LIMIT_IP", "20 per 15 minutes")),
        parse(app.config.get("LOGIN_RATE_LIMIT_ACCOUNT", "5 per 15 minutes")),
    )
    app.before_request(_gate)
    app.after_request(_no_store)
    app.jinja_env.globals["can_access"] = can_access


def can_access(endpoint: str) -> bool:
    """For menus: may the current user open `endpoint` (admin-only views need ADMIN)?"""
    view = current_app.view_functions.get(endpoint)
    if not current_user.is_authenticated:
        return False
    return not getattr(view, "admin_only", False) or current_user.is_admin

"""Login sessions and the gate in front of /admin.

- Every sign-in is a server-side session (`accounts_sessions`). Flask-Login keeps the staff
  user in the signed cookie as "<user id>:<session token>:<session id>": signing out ends that
  session on the server, so a copied cookie stops working; changing the password or
  deactivating the account changes the token and ends every session of the user.
- Everything under /admin needs an active staff user; views marked with
  `rental.shared.web.admin_only` need the ADMIN role. The gate is one `before_request` hook, so
  admin pages of every module are covered without importing this module.
- Failed logins are throttled per client IP, per account (a high bar) and per (account, IP)
  with growing delays, on the shared rate-limit store (rental.shared.throttle).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, LoginManager, current_user, login_user, logout_user

from rental.accounts.application.commands import StaffUserDetails
from rental.accounts.facade import AccountsFacade
from rental.shared.email import normalise_email
from rental.shared.jobs import register_job
from rental.shared.throttle import (
    Decision,
    Limit,
    Throttle,
    client_ip,
    current_throttle,
    describe_wait,
    parse_limit,
    seconds_until,
)

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
    """A fresh session for a fresh login: nothing from before survives (no fixation), and a
    new server-side session record that signing out can end."""
    signed_in = AccountsFacade().start_session(
        user.id, client_ip(), request.headers.get("User-Agent", "")
    )
    session.clear()
    login_user(LoginUser(signed_in))
    session[LOGIN_AT] = int(time.time())


def end_session() -> None:
    """Sign out: end this session on the server too, then forget the cookie's contents."""
    if current_user.is_authenticated:
        AccountsFacade().end_session(current_user.get_id())
    logout_user()
    session.clear()


# --- login throttling -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_ip: Limit | None  # failed sign-ins from one client IP, any account
    per_account: Limit | None  # failed sign-ins for one account from anywhere: a high bar
    delay_after: Limit | None  # free failures per account and IP; then delays start
    max_delay: int  # seconds

    @classmethod
    def from_config(cls, config: Any) -> LoginLimits:
        return cls(
            parse_limit(config.get("LOGIN_RATE_LIMIT_IP", "20 per 15 minutes")),
            parse_limit(config.get("LOGIN_RATE_LIMIT_ACCOUNT", "50 per hour")),
            parse_limit(config.get("LOGIN_DELAY_AFTER", "5 per hour")),
            int(config.get("LOGIN_DELAY_MAX_SECONDS", 900)),
        )


@dataclass(frozen=True, slots=True)
class LoginRefusal:
    decision: Decision
    message: str


@dataclass(frozen=True, slots=True)
class SignInStatus:
    """What an admin sees about an account's failed sign-ins (the per-account counter)."""

    failures: int
    paused_until: datetime | None


PAIR, IP, ACCOUNT = "login-pair", "login-ip", "login-account"


@dataclass
class LoginThrottle:
    """Failed sign-ins counted per client IP, per account, and per (account, IP) on the shared
    rate-limit store (rental.shared.throttle), so every gunicorn worker sees the same counts.

    - (account, IP): after `delay_after` failures each further attempt waits 1, 2, 4 … seconds
      after the previous failure (at most `max_delay`); someone mistyping is slowed down, not
      locked out, and a guesser elsewhere does not slow them down.
    - IP: `per_ip` failures pause sign-in from that address.
    - account: only `per_account` failures from anywhere pause the account itself.
    An attempt takes its IP and account places before the password is checked (so parallel
    guesses cannot overshoot) and gives them back when it succeeds; a refused attempt counts
    nothing. Success clears the (account, IP) counter; an admin's unlock clears the account.
    """

    limits: LoginLimits

    @property
    def throttle(self) -> Throttle:
        return current_throttle()

    def _pair_wait(self, account: str, ip: str) -> Decision | None:
        rule = self.limits.delay_after
        if rule is None:
            return None
        counter = self.throttle.counter(PAIR, (account, ip))
        if counter is None or counter.hits < rule.amount:
            return None
        delay_ms = min(2 ** (counter.hits - rule.amount), self.limits.max_delay) * 1000
        until, now = counter.last_hit_ms + delay_ms, self.throttle.now_ms()
        if now >= until:
            return None
        return Decision(
            False,
            counter.hits,
            seconds_until(until, now),
            datetime.fromtimestamp(until / 1000, UTC),
        )

    def admit(self, email: str, ip: str) -> LoginRefusal | None:
        """Reserve this attempt's places, or say why and until when it must wait."""
        account = normalise_email(email)
        wait = self._pair_wait(account, ip)
        if wait is not None:
            return LoginRefusal(
                wait,
                "Too many failed sign-in attempts for this account from your network. "
                "For your security, each new attempt has to wait a little longer.",
            )
        by_ip = self.throttle.attempt(IP, ip, self.limits.per_ip)
        if not by_ip.allowed:
            return LoginRefusal(
                by_ip,
                "Too many failed sign-in attempts from your network, so signing in from here "
                "is paused.",
            )
        by_account = self.throttle.attempt(ACCOUNT, account, self.limits.per_account)
        if not by_account.allowed:
            self.throttle.refund(IP, ip, self.limits.per_ip)
            return LoginRefusal(
                by_account,
                "Too many failed sign-in attempts for this account, so signing in to it is "
                "paused. An administrator can unlock it sooner.",
            )
        return None

    def failed(self, email: str, ip: str) -> None:
        self.throttle.hit(PAIR, (normalise_email(email), ip), self.limits.delay_after)

    def succeeded(self, email: str, ip: str) -> None:
        account = normalise_email(email)
        self.throttle.refund(IP, ip, self.limits.per_ip)
        self.throttle.refund(ACCOUNT, account, self.limits.per_account)
        self.throttle.clear(PAIR, (account, ip))

    def unlock(self, email: str) -> None:
        """An admin's unlock: forget the account's failures, from every IP."""
        account = normalise_email(email)
        self.throttle.clear(ACCOUNT, account)
        self.throttle.clear(PAIR, (account,), prefix=True)

    def status(self, email: str) -> SignInStatus:
        counter = self.throttle.counter(ACCOUNT, normalise_email(email))
        if counter is None:
            return SignInStatus(0, None)
        rule = self.limits.per_account
        paused = rule is not None and counter.hits >= rule.amount
        until = datetime.fromtimestamp(counter.window_ends_ms / 1000, UTC) if paused else None
        return SignInStatus(counter.hits, until)


THROTTLE_KEY = "accounts.login_throttle"


def login_throttle() -> LoginThrottle:
    return current_app.extensions[THROTTLE_KEY]


def refusal_message(refusal: LoginRefusal) -> str:
    wait = describe_wait(refusal.decision.retry_after, refusal.decision.retry_at)
    return f"{refusal.message} Please try again {wait}."


def purge_sessions() -> None:
    AccountsFacade().purge_sessions()


def init_security(app: Flask) -> None:
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.anonymous_user = Anonymous
    manager.session_protection = "basic"
    manager.init_app(app)
    app.extensions["login_manager"] = manager  # rental.shared.web.current_actor() looks here

    app.extensions[THROTTLE_KEY] = LoginThrottle(LoginLimits.from_config(app.config))
    register_job("accounts.purge_sessions", purge_sessions, seconds=3600)
    app.before_request(_gate)
    app.after_request(_no_store)
    app.jinja_env.globals["can_access"] = can_access


def can_access(endpoint: str) -> bool:
    """For menus: may the current user open `endpoint` (admin-only views need ADMIN)?"""
    view = current_app.view_functions.get(endpoint)
    if not current_user.is_authenticated:
        return False
    return not getattr(view, "admin_only", False) or current_user.is_admin

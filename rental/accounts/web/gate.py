"""The gate in front of /admin, installed once for the whole app.

Everything under /admin needs an active staff user; views marked with
`rental.shared.web.admin_only` need the ADMIN role. The gate is one `before_request` hook, so
the admin pages of every module are covered without those modules importing accounts.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, current_user

from rental.accounts.web.sign_in import (
    LOGIN_AT,
    Anonymous,
    end_session,
    load_user,
    safe_next,
)


def install_login_and_admin_gate(app: Flask) -> None:
    """Flask-Login with the accounts user loader, the /admin gate, no-store for staff pages and
    the `can_access(endpoint)` template global for menus."""
    manager = LoginManager()
    manager.user_loader(load_user)
    manager.anonymous_user = Anonymous
    manager.session_protection = "basic"
    manager.init_app(app)
    app.extensions["login_manager"] = manager  # rental.shared.web.current_actor() looks here
    app.before_request(_gate)
    app.after_request(_no_store)
    app.jinja_env.globals["can_access"] = can_access


def is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def _cookie_expired() -> bool:
    started = session.get(LOGIN_AT)
    hours = float(current_app.config.get("STAFF_SESSION_HOURS", 12))
    if not isinstance(started, int | float):
        return True
    return time.time() - started > hours * 3600


def _gate() -> Response | None:
    if not is_admin_path(request.path):
        return None
    if current_user.is_authenticated and _cookie_expired():
        end_session()
    if not current_user.is_authenticated:
        return _login_required()
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "admin_only", False) and not current_user.is_admin:
        abort(403, "Only administrators can do this. Ask an admin if you need it done.")
    return None


def _no_store(response: Response) -> Response:
    # Staff pages show personal data: never keep them in a shared or back-button cache.
    sign_in_pages = (url_for("accounts.login"), url_for("accounts.logout"))
    if is_admin_path(request.path) or request.path in sign_in_pages:
        response.headers["Cache-Control"] = "no-store"
    return response


def can_access(endpoint: str) -> bool:
    """For menus: may the current user open `endpoint` (admin-only views need ADMIN)?"""
    view = current_app.view_functions.get(endpoint)
    if not current_user.is_authenticated:
        return False
    return not getattr(view, "admin_only", False) or current_user.is_admin


def _login_required() -> Response:
    target = _login_url(_next_for_this_request())
    if request.headers.get("HX-Request") == "true":
        # htmx would swap a login page into a fragment: tell it to navigate instead.
        response = Response("", status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=302)


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

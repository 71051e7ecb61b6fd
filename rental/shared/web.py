"""Web helpers shared by every blueprint: full-page-or-fragment rendering, error pages (a
database outage is a 503), the input guard at the boundary, security headers and display
filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import BadRequest, HTTPException

from rental.shared import local_time
from rental.shared.db import describe_error, is_outage
from rental.shared.errors import DomainError
from rental.shared.fragments import render_block
from rental.shared.money import Money
from rental.shared.redaction import redact
from rental.shared.text import has_control_characters

# What a client is told to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30


def is_htmx() -> bool:
    # Boosted requests and history restores want the whole page, like a plain navigation.
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    template: str, block: str | None = None, *, status: int = 200, **context: Any
) -> Response:
    """Render the whole page, or only `block` when htmx asked for it. Always `Vary: HX-Request`
    so a cache never serves a fragment for a full page or the other way round."""
    if block and is_htmx():
        current_app.update_template_context(context)
        body = render_block(current_app.jinja_env, template, block, context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def notify(message: str, *, status: int = 200, kind: str = "info") -> Response:
    """An htmx answer that only shows a message in the page's notification region."""
    response = make_response(
        render_template("shared/_notice.html", message=message, kind=kind), status
    )
    response.headers["HX-Retarget"] = "#notifications"
    response.headers["HX-Reswap"] = "innerHTML"
    response.vary.add("HX-Request")
    return response


def _error_response(
    status: int, title: str, message: str, retry_url: str | None = None
) -> Response:
    if is_htmx():
        return notify(message, status=status, kind="error")
    page = render_template(
        "shared/error.html", status=status, title=title, message=message, retry_url=retry_url
    )
    response = make_response(page, status)
    response.vary.add("HX-Request")
    return response


error_response = _error_response  # for handlers registered elsewhere (413: images)


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Please check your input",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


# Instead of the framework's default descriptions (a view that aborts with its own keeps it).
_MESSAGES = {
    404: "There is no page at this address. Check the link for a typing mistake, or find what "
    "you need from the home page or the catalog.",
    405: "This page cannot be used that way. Go back and try again from the page itself.",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        return _error_response(exc.status_code, _TITLES.get(exc.status_code, "Error"), exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Response:
        return _error_response(
            400,
            "Your form has expired",
            "The security token of this form is missing or has expired. "
            "Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = exc.description or exc.name
        if message == type(exc).description and status in _MESSAGES:
            message = _MESSAGES[status]  # our words, not the framework's default text
        response = _error_response(status, _TITLES.get(status, exc.name), message)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError) -> Response:
        if not is_outage(exc):
            return _unexpected(exc)
        return database_unavailable(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        current_app.logger.exception(
            "Unhandled error on %s %s", request.method, redact(request.path)
        )
        return _error_response(
            500,
            _TITLES[500],
            "An unexpected error stopped this request. Nothing was changed; please try again.",
        )


def database_unavailable(exc: BaseException) -> Response:
    """503 + Retry-After with a friendly page (an htmx request gets the notice). Renders
    without the database: a staff user not loaded yet is shown the public header."""
    current_app.logger.warning(
        "Database unavailable on %s %s: %s",
        request.method,
        redact(request.path),
        describe_error(exc),
    )
    manager = current_app.extensions.get("login_manager")
    if manager is not None and "_login_user" not in g:
        g._login_user = manager.anonymous_user()
    message = "We cannot reach our database at the moment. Please try again in a minute."
    if request.method not in ("GET", "HEAD"):
        message += " What you sent may not have been saved: reload the page to check first."
    # "Try again" reloads the page (a form sent with POST is shown again, not re-sent).
    retry = request.full_path.rstrip("?") if request.method == "GET" else request.path
    retry = "/" + retry.lstrip("/")  # never '//host': a link to this site only
    response = _error_response(503, _TITLES[503], message, retry_url=retry)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the input guard ------------------------------------------------------------------------


def _json_strings(data: Any) -> Iterator[str]:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(str(key) for key in value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _refused_input() -> str | None:
    """Where the request carries a control character (NUL, escapes, lone surrogates...), if
    anywhere. Tab, CR and LF are allowed in form values (textareas) and JSON strings."""
    if has_control_characters(request.path):
        return "address"
    for key, value in request.args.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            return "address"
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for key, value in request.form.items(multi=True):
            if has_control_characters(key) or has_control_characters(value, allow_newlines=True):
                return "form"
        if request.is_json:
            try:
                data = request.get_json(silent=True)
            except RecursionError:
                return "data"
            for text in _json_strings(data):
                if has_control_characters(text, allow_newlines=True):
                    return "data"
    return None


def register_input_guard(app: Flask) -> None:
    """Refuse, before any view runs, requests whose path, query, form or JSON holds control
    characters: no view, query or database ever sees a NUL byte (PostgreSQL refuses those in
    text, which used to surface as a 500)."""

    @app.before_request
    def _guard() -> None:
        where = _refused_input()
        if where:
            raise BadRequest(
                f"The {where} you sent contains control characters (such as a NUL byte) "
                "that cannot be used here. Remove them and try again."
            )


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


# On every response; the static files served by WhiteNoise (rental.shared.assets) get them too.
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


# --- display filters ------------------------------------------------------------------------


def business_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BUSINESS_TIMEZONE", "UTC"))


def _clock(local: datetime) -> str:
    """'09:00'; in the hour that happens twice when the clocks go back, 'the first' or 'the
    second' 02:30 is told apart by the zone's abbreviation: '02:30 CEST'."""
    text = f"{local:%H:%M}"
    if local_time.is_ambiguous(local.replace(tzinfo=None), local.tzinfo):  # type: ignore[arg-type]
        text += f" {local.tzname()}"
    return text


def format_datetime(value: datetime | None, with_year: bool = False) -> str:
    """One way to write a moment everywhere: 'Fri 28 Nov, 09:00' in the business time zone."""
    if value is None:
        return ""
    local = value.astimezone(business_tz())
    pattern = "%a %d %b %Y" if with_year else "%a %d %b"
    return f"{local.strftime(pattern)}, {_clock(local)}"


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(business_tz())
    return value.strftime("%a %d %b %Y")


def format_period(value: Any) -> str:
    """'Fri 28 Nov, 09:00–17:00' within a day; 'Fri 28 Nov, 09:00 – Sat 29 Nov, 17:00' across;
    calendar days of the business time zone as whole days, however long a clock change makes
    them."""
    if value is None:
        return ""
    tz = business_tz()
    start, end = value.start.astimezone(tz), value.end.astimezone(tz)
    if start.date() == end.date():
        return f"{start:%a %d %b}, {_clock(start)}–{_clock(end)}"
    if local_time.is_start_of_day(value.start, tz) and local_time.is_start_of_day(value.end, tz):
        last = end.date() - timedelta(days=1)
        if last == start.date():
            return f"{start:%a %d %b} (all day)"
        return f"{start:%a %d %b} – {last:%a %d %b} (whole days)"
    return f"{start:%a %d %b}, {_clock(start)} – {end:%a %d %b}, {_clock(end)}"


def no_store(response: Response) -> Response:
    """Keep a response out of every cache (pages that show a secret link or personal data)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def format_money(value: Money | None) -> str:
    return "" if value is None else value.format()


def register_filters(app: Flask) -> None:
    @app.context_processor
    def _admin_nav() -> dict[str, Any]:
        return {"admin_nav": app.extensions.get("admin_nav", [])}

    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["period"] = format_period


# --- admin navigation, actors, access markers -------------------------------------------------


def register_admin_nav(app: Flask, label: str, endpoint: str, order: int = 50) -> None:
    """Add a link to the admin side menu (modules call this from their init_app)."""
    items = app.extensions.setdefault("admin_nav", [])
    items[:] = [i for i in items if i[1] != endpoint]
    items.append((order, endpoint, label))
    items.sort()


def admin_only(view: Any) -> Any:
    """Mark a view as needing the ADMIN role (enforced for everything under /admin)."""
    view.admin_only = True
    return view


def current_actor() -> str:
    """Who is acting, for history records: the logged-in staff user's email, else 'system'."""
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover - flask-login is a dependency
        return "system"
    if current_app.extensions.get("login_manager") is None:
        return "system"
    if getattr(current_user, "is_authenticated", False):
        return getattr(current_user, "email", None) or str(current_user.get_id())
    return "anonymous"


def confirm_warnings(
    warnings: Any,
    *,
    title: str,
    action: str,
    fields: dict[str, str],
    back: str,
    confirm_label: str = "Continue anyway",
) -> Response:
    """A staff action that needs a confirmation (NeedsConfirmation): the warnings, and the same
    form sent again with the warnings' codes in `confirm` — nothing is saved until then."""
    return render(
        "shared/confirm.html",
        status=409,
        warnings=list(warnings),
        title=title,
        action=action,
        fields={k: v for k, v in fields.items() if k not in ("csrf_token", "confirm")},
        back=back,
        confirm_label=confirm_label,
    )


def confirmed_codes(form: Any) -> frozenset[str]:
    """The warning codes a confirmation page sent back ("Continue anyway")."""
    return frozenset((form.get("confirm") or "").split())

"""/admin/mail: the e-mails sent (or that failed), newest first, each viewable as the customer
sees it. The HTML is served on its own URL with a CSP that allows no script, no network and
no form, and shown inside an <iframe sandbox> (no scripts, no same origin) on the page.
/admin/mail/settings: the reminder settings (staff read, administrators change). And the
"E-mails" sections of the staff booking page and customer page (rental.shared.sections)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from rental.notifications.domain.settings import (
    MAX_REMINDER_HOURS,
    MIN_REMINDER_HOURS,
    parse_settings,
)
from rental.notifications.facade import NotificationsFacade
from rental.shared.errors import ValidationError
from rental.shared.time_range import utcnow
from rental.shared.web import admin_only, render

bp = Blueprint("notifications_admin", __name__, url_prefix="/admin/mail")

# The rendered HTML of an e-mail: nothing may run or load; inline styles only.
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)


PAGE_SIZE = 50


@bp.get("")
def mail_list() -> Response:
    """Newest first, PAGE_SIZE a page (?page=2 …; a page that is no number is the first)."""
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), 10_000)
    found = NotificationsFacade().recent_mail(PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render(
        "notifications/admin_list.html",
        messages=found[:PAGE_SIZE],
        page=page,
        has_older=len(found) > PAGE_SIZE,
    )


def _settings_page(form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    return render(
        "notifications/admin_settings.html",
        status=status,
        form=form,
        errors=errors,
        min_hours=MIN_REMINDER_HOURS,
        max_hours=MAX_REMINDER_HOURS,
    )


@bp.get("/settings")
def settings() -> Response:
    """The reminder settings: staff see them, administrators change them."""
    current = NotificationsFacade().get_settings()
    form = {
        "reminders_enabled": "on" if current.reminders_enabled else "",
        "reminder_hours": str(current.reminder_hours),
        "return_due_enabled": "on" if current.return_due_enabled else "",
    }
    return _settings_page(form, {})


@bp.post("/settings")
@admin_only
def save_settings_form() -> Response:
    form = {
        name: request.form.get(name, "")[:20]
        for name in ("reminders_enabled", "reminder_hours", "return_due_enabled")
    }
    try:
        NotificationsFacade().save_settings(parse_settings(form), utcnow())
    except ValidationError as exc:
        return _settings_page(form, exc.errors or {"reminder_hours": exc.message}, 422)
    flash("E-mail settings saved.", "success")
    return redirect(url_for("notifications_admin.settings"), code=303)


@bp.get("/<message_id>")
def mail_detail(message_id: str) -> Response:
    message = NotificationsFacade().get_mail(message_id)
    if message is None:
        abort(404)
    return render("notifications/admin_detail.html", message=message)


@bp.get("/<message_id>/html")
def mail_html(message_id: str) -> Response:
    message = NotificationsFacade().get_mail(message_id)
    if message is None:
        abort(404)
    response = make_response(message.html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = MAIL_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"  # shown in the page's iframe
    response.headers["Cache-Control"] = "no-store"
    return response


def order_mail_section(order_id: str) -> str:
    """The staff booking page's "E-mails" section: what was sent about the order."""
    return render_template(
        "notifications/_order_mail.html", messages=NotificationsFacade().mail_for_order(order_id)
    )


CUSTOMER_SECTION_LIMIT = 50


def customer_mail_section(customer_id: str) -> str:
    """The staff customer page's "E-mails" section: every e-mail sent — or that failed —
    about the customer, newest first, each linking to its page under /admin/mail."""
    rows = NotificationsFacade().mail_for_customer(customer_id, limit=CUSTOMER_SECTION_LIMIT + 1)
    return render_template(
        "notifications/_customer_mail.html",
        messages=rows[:CUSTOMER_SECTION_LIMIT],
        more=len(rows) > CUSTOMER_SECTION_LIMIT,
    )

"""/admin/calendar-feeds: staff see the feeds, administrators create and revoke them (the
subscribe URL is shown once, on creation). /calendar/<token>.ics: the feed itself, for
calendar apps (no login: the token is the key; unknown or revoked → 404)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.calendars.domain.feeds import NAME_MAX, looks_like_id, parse_new_feed
from rental.calendars.facade import CalendarsFacade
from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.shared.errors import ValidationError
from rental.shared.time_range import utcnow
from rental.shared.web import admin_only, current_actor, render

admin_bp = Blueprint("calendars_admin", __name__, url_prefix="/admin/calendar-feeds")
feed_bp = Blueprint("calendar_feed", __name__)


def _types() -> list:
    found = CatalogFacade().search_equipment_types(
        SearchEquipmentTypes(page_size=100, sort="name", include_inactive=True)
    )
    return list(found.items)


def _page(
    form: dict[str, str], errors: dict[str, str], status: int = 200, new_url: str = ""
) -> Response:
    types = _types()
    return render(
        "calendars/admin_feeds.html",
        status=status,
        feeds=CalendarsFacade().list_feeds(),
        types=types,
        type_names={t.id: t.name for t in types},
        form=form,
        errors=errors,
        name_max=NAME_MAX,
        new_url=new_url,
    )


@admin_bp.get("")
def feed_list() -> Response:
    return _page({"name": "", "scope": "all"}, {})


@admin_bp.post("")
@admin_only
def create_feed() -> Response:
    form = {"name": request.form.get("name", "")[:500], "scope": request.form.get("scope", "")[:40]}
    scope = form["scope"]
    known = looks_like_id(scope) and scope in CatalogFacade().get_equipment_type_summaries({scope})
    try:
        feed = parse_new_feed(form["name"], scope, known)
    except ValidationError as exc:
        return _page(form, exc.errors or {"name": exc.message}, 422)
    token = CalendarsFacade().create_feed(feed, utcnow(), current_actor())
    url = url_for("calendar_feed.feed", token=token, _external=True)
    # Shown now and never again: only the token's hash is kept.
    return _page({"name": "", "scope": "all"}, {}, 201, new_url=url)


@admin_bp.post("/<feed_id>/revoke")
@admin_only
def revoke_feed(feed_id: str) -> Response:
    CalendarsFacade().revoke_feed(feed_id, utcnow())
    flash("Feed revoked: calendars subscribed to it get nothing more.", "success")
    return redirect(url_for("calendars_admin.feed_list"), code=303)


@feed_bp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    body = CalendarsFacade().feed_ics(token[:200], utcnow())
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response

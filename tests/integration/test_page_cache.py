"""rental.shared.page_cache on SQLite and PostgreSQL: the catalog and a type's page are
rendered once per reference token and handed to the next visitors, each with their own CSRF
token; nobody signed in, no flash message, no dated search and no other day is ever served a
page kept for someone else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.auth import sign_in
from tests.support.fleet import Fleet, make_type
from tests.support.statements import reading, statements, token_reads

_HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def fleet(app) -> Fleet:
    return make_type(units=2)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def hx_token(body: str) -> str:
    found = _HX_TOKEN.search(body)
    assert found, "no CSRF token for htmx on the page"
    return found.group(1)


@pytest.mark.parametrize("path", ["/catalog", "/catalog/{slug}"])
def test_the_next_visitor_gets_the_kept_page_with_a_csrf_token_of_their_own(app, fleet, path):
    path = path.format(slug=fleet.slug)
    first, second = app.test_client(), app.test_client()
    body = page(first, path)
    with statements() as seen:
        kept = page(second, path)
    assert seen == token_reads(seen) and len(seen) == 1, seen  # not rendered again
    assert hx_token(kept) != hx_token(body)
    assert kept.replace(hx_token(kept), "T") == body.replace(hx_token(body), "T")
    # The token handed out with the kept page is the visitor's: their form is accepted.
    signed_out = second.post("/logout", data={"csrf_token": hx_token(kept)})
    assert signed_out.status_code == 303
    refused = second.post("/logout", data={"csrf_token": hx_token(body)})  # someone else's
    assert refused.status_code == 400


def test_a_signed_in_visitor_is_never_served_a_kept_page_nor_leaves_one(app, fleet, admin_user):
    visitor = app.test_client()
    assert admin_user.email not in page(visitor, "/catalog")
    staff = sign_in(app.test_client(), admin_user)
    assert admin_user.email in page(staff, "/catalog")  # their own menu, not the kept page
    assert admin_user.email not in page(app.test_client(), "/catalog")


def test_a_flash_message_goes_to_its_visitor_only(app, fleet):
    page(app.test_client(), "/catalog")  # kept
    flashed = app.test_client()
    with flashed.session_transaction() as session:
        session["_flashes"] = [("info", "Your booking was cancelled.")]
    assert "Your booking was cancelled." in page(flashed, "/catalog")
    assert "Your booking was cancelled." not in page(flashed, "/catalog")  # shown once
    assert "Your booking was cancelled." not in page(app.test_client(), "/catalog")


def test_a_page_kept_today_is_not_served_tomorrow(app, fleet, monkeypatch):
    now = datetime(2031, 3, 3, 10, tzinfo=UTC)  # a Monday
    monkeypatch.setitem(app.extensions, "booking.clock", lambda: now)
    body = page(app.test_client(), "/catalog")
    earliest = re.search(r'name="start_date" value="" min="([0-9-]+)"', body)
    assert earliest, body[:500]
    now += timedelta(days=1)
    later = page(app.test_client(), "/catalog")
    assert f'min="{earliest.group(1)}"' not in later  # the date picker starts a day later


def test_the_dated_catalog_is_rendered_every_time(app, client, fleet):
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    path = f"/catalog?start_date={day}&end_date={day}"
    page(client, path)
    with statements() as seen:
        page(app.test_client(), path)
    assert len(reading(seen, "booking_reservations")) == 1, seen  # free units read afresh


def test_a_fragment_and_the_whole_page_are_kept_apart(app, fleet):
    whole = page(app.test_client(), "/catalog?q=generator")
    fragment = app.test_client().get("/catalog?q=generator", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<footer" in whole and "<footer" not in fragment.get_data(as_text=True)
    assert "<footer" in page(app.test_client(), "/catalog?q=generator")


def test_the_process_keeps_a_bounded_number_of_pages(app, fleet):
    """A crawler asking for every search keeps at most MAX_PAGES pages in memory: the least
    recently used goes first (here the bound is 2)."""
    from flask import template_rendered

    from rental.shared import page_cache
    from rental.shared.reference_cache import bound

    rendered: list[str] = []

    def count(sender, template, context, **extra) -> None:
        rendered.append(template.name)

    bound("pages", 2)
    template_rendered.connect(count, app)
    try:
        for query in ("a", "b", "c"):  # "a" is the least recently used when "c" comes
            page(app.test_client(), f"/catalog?q={query}")
        assert len(rendered) == 3
        page(app.test_client(), "/catalog?q=c")
        assert len(rendered) == 3  # kept
        page(app.test_client(), "/catalog?q=a")
        assert len(rendered) == 4  # dropped, so rendered again
    finally:
        template_rendered.disconnect(count, app)
        bound("pages", page_cache.MAX_PAGES)

"""rental.shared.page_cache on SQLite and PostgreSQL: the catalog and a type's page are
rendered once per reference token and handed to the next visitors, the same bytes for all
(compressed once) and without starting a session; nobody signed in, no flash message, no
dated search and no other day is ever served a page kept for someone else."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta

import brotli
import pytest
from flask_wtf.csrf import generate_csrf

from tests.support.auth import sign_in
from tests.support.daily import tomorrow
from tests.support.fleet import Fleet, make_type
from tests.support.statements import reading, statements, token_reads

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HTMX = {"HX-Request": "true"}


@pytest.fixture
def fleet(app) -> Fleet:
    return make_type(units=2)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/catalog", "/catalog/{slug}"])
def test_the_next_visitor_gets_the_kept_page_and_no_session_is_started(app, fleet, path):
    path = path.format(slug=fleet.slug)
    first = app.test_client().get(path)
    with statements() as seen:
        second = app.test_client().get(path)
    assert seen == token_reads(seen) and len(seen) == 1, seen  # not rendered again
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data()  # the same page for everyone...
    for response in (first, second):
        assert "Set-Cookie" not in response.headers  # ...that starts no session
        assert "X-CSRFToken" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/catalog", "/catalog/{slug}"])
def test_a_kept_page_goes_out_compressed_as_the_visitor_accepts(app, fleet, path):
    path = path.format(slug=fleet.slug)
    plain = page(app.test_client(), path)  # rendered and kept
    for accepted, encoding, unpack in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("br;q=0, gzip", "gzip", gzip.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        for _ in range(2):  # compressed once, then the same bytes
            response = app.test_client().get(path, headers={"Accept-Encoding": accepted})
            assert response.headers.get("Content-Encoding") == encoding, accepted
            assert unpack(response.get_data()).decode() == plain
            assert "Accept-Encoding" in response.headers["Vary"]
            assert "HX-Request" in response.headers["Vary"]
    identity = app.test_client().get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers
    assert identity.get_data(as_text=True) == plain


def test_a_visitor_who_came_by_a_kept_page_can_add_to_the_booking(app, fleet):
    """The type page's htmx requests are GETs: the availability answer's form carries a token
    of its own, and that answer starts the visitor's session."""
    visitor = app.test_client()
    page(app.test_client(), f"/catalog/{fleet.slug}")  # kept
    page(visitor, f"/catalog/{fleet.slug}")
    day = (tomorrow() + timedelta(days=2)).isoformat()
    period = {"basis": "daily", "start_date": day, "end_date": day, "quantity": "1"}
    answer = visitor.get(
        f"/book/{fleet.slug}", query_string={"_block": "availability", **period}, headers=HTMX
    )
    assert answer.status_code == 200 and "Set-Cookie" in answer.headers
    token = _FORM_TOKEN.search(answer.get_data(as_text=True))
    assert token, "the availability answer has no form that posts"
    added = visitor.post(
        "/cart/add",
        data={"csrf_token": token.group(1), "kind": "type", "id": fleet.type_id, **period},
        headers=HTMX,
    )
    assert added.status_code == 200, added.get_data(as_text=True)[:300]
    assert "Booking (1)" in page(visitor, "/cart")


def test_a_kept_page_that_posts_gives_every_visitor_their_own_token(app, fleet):
    """Should a kept page carry a form that posts, the token in it is the visitor's own, never
    the one of whoever was served first. (`fleet` writes reference data, so there is a token
    to keep the page under: a database just emptied has none, and nothing is kept.)"""
    from flask import make_response, render_template_string

    from rental.shared.page_cache import cached_page

    renders: list[int] = []

    def render_page():
        renders.append(1)
        return make_response(render_template_string('<form method="post">{{ csrf_token() }}'))

    moment = datetime.now(UTC)
    tokens = []
    for _ in range(2):
        # An application context of its own, as every request in a web process has.
        with app.app_context(), app.test_request_context("/catalog?q=form-that-posts"):
            app.preprocess_request()
            body = cached_page(render_page, moment=moment).get_data(as_text=True)
            assert body == '<form method="post">' + generate_csrf()
            tokens.append(body)
    assert len(renders) == 1  # the second visitor was served the kept page
    assert tokens[0] != tokens[1]


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

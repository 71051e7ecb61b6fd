"""Dates-first browsing (issue 11) on SQLite and PostgreSQL: /catalog with a period says on
every card what check_availability says for that type, lists "available only" with honest
pages, answers bad dates next to the field (never a 5xx), carries the period into the type
page and its availability form, keeps it in htmx fragments, stays one canonical page, and
costs the same statements for 3 types as for 12."""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import urlencode

import pytest

from rental.booking import BookingFacade, CheckAvailability, PricingBasis
from rental.catalog import BrowseCatalog, CatalogFacade
from rental.shared.errors import ConflictError
from tests.integration.test_search_engines import head
from tests.support.daily import book, days, tomorrow
from tests.support.fleet import make_category, make_type
from tests.support.statements import cold_statements, explain, reading

CARD = re.compile(r'<article class="type-card">(.*?)</article>', re.S)
NAME = re.compile(r'<h3><a href="([^"]*)">([^<]*)</a></h3>')
ANSWER = re.compile(r'<p class="card-availability">(.*?)</p>', re.S)


def cards(body: str) -> dict[str, tuple[str, str]]:
    """Slug → (link, what the card says about the dates, as text; '' when nothing)."""
    found = {}
    for card in CARD.findall(body):
        link = unescape(NAME.search(card).group(1))
        answer = ANSWER.search(card)
        text = " ".join(re.sub(r"<[^>]+>", " ", answer.group(1)).split()) if answer else ""
        found[link.split("?")[0].rsplit("/", 1)[1]] = (link, text)
    return found


def dated(first: date, last: date, **more) -> str:
    params = {"start_date": first.isoformat(), "end_date": last.isoformat(), **more}
    return "/catalog?" + urlencode(params)


def test_every_card_says_what_check_availability_says_for_its_type(app, client):
    fleets = {n: make_type(units=n) for n in (1, 2, 3, 4)}
    names = {f.type_id: f.slug for f in fleets.values()}
    d = tomorrow()
    plan = [(1, 1, 1), (2, 2, 1), (2, 2, 2), (3, 3, 2), (4, 4, 1), (3, 3, 1)]  # units, day, qty
    for units, offset, quantity in plan:
        with contextlib.suppress(ConflictError):
            book(
                fleets[units].type_id, days(d + timedelta(offset), d + timedelta(offset)), quantity
            )
    booking = BookingFacade()
    for first, last in [(1, 1), (2, 2), (1, 3), (3, 3), (5, 6)]:
        period = days(d + timedelta(first), d + timedelta(last))
        for quantity in (1, 2):
            url = dated(
                d + timedelta(first),
                d + timedelta(last),
                **({"quantity": quantity} if quantity > 1 else {}),
            )
            response = client.get(url)
            assert response.status_code == 200
            shown = cards(response.get_data(as_text=True))
            assert len(shown) == 4
            for type_id, name in names.items():
                single = booking.check_availability(
                    CheckAvailability(
                        type_id, period, quantity, PricingBasis.DAILY, with_alternatives=False
                    )
                )
                free = single.remaining_capacity
                expected = (
                    "Booked out"
                    if free == 0
                    else (f"{free} free" if single.is_available else f"Only {free} free")
                )
                assert shown[name][1] == expected, (url, name)


def test_available_only_is_filtered_before_the_pages_are_cut(app, client):
    category = make_category("Lifts")
    fleets = [make_type(units=1, name="Lift", category_id=category) for _ in range(16)]
    d = tomorrow() + timedelta(days=2)
    booked_out = {fleets[i].type_id for i in (0, 5, 13)}
    for type_id in booked_out:
        book(type_id, days(d, d))
    slugs_free = {f.slug for f in fleets if f.type_id not in booked_out}

    first = client.get(dated(d, d, available=1)).get_data(as_text=True)
    assert "13 types of equipment free for your dates" in first
    page_one = cards(first)
    assert len(page_one) == 12
    assert all(text == "1 free" for _, text in page_one.values())
    nxt = re.search(r'<a href="([^"]*)"[^>]*rel="next"', first).group(1)
    nxt = unescape(nxt)
    assert "available=1" in nxt and f"start_date={d.isoformat()}" in nxt and "page=2" in nxt
    page_two = cards(client.get(nxt).get_data(as_text=True))
    assert len(page_two) == 1
    assert {*page_one, *page_two} == slugs_free
    # Every card links to its type page with the dates.
    assert all(f"start_date={d.isoformat()}" in link for link, _ in page_one.values())
    # Without the filter every type is listed, the booked-out ones say so.
    everything = [
        text
        for page in (1, 2)
        for _, text in cards(client.get(dated(d, d, page=page)).get_data(as_text=True)).values()
    ]
    assert len(everything) == 16 and everything.count("Booked out") == 3
    # Nothing free: the empty state says so and offers everything for those dates.
    for fleet in fleets:
        if fleet.type_id not in booked_out:
            book(fleet.type_id, days(d, d))
    empty = client.get(dated(d, d, available=1)).get_data(as_text=True)
    assert "is free for" in empty and "Show everything for these dates" in empty
    assert not cards(empty)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start_date": "2001-01-01", "end_date": "2001-01-02"}, "start", "That day has passed"),
        ({"start_date": "not a day", "end_date": "2030-01-01"}, "start", ""),
        ({"start_date": "{d2}", "end_date": "{d1}"}, "end", "on or after the first day"),
        ({"start_date": "{d1}", "quantity": "0"}, "quantity", ""),
        ({"start_date": "{d1}", "end_date": "{d1}", "quantity": "lots"}, "quantity", ""),
        ({"start": "2030-13-45T99:99", "end": "2030-01-01T10:00"}, "start", ""),
        ({"start": "{d1}T09:00"}, "end", "Enter an end"),
        ({"start": "{d1}T09:07", "end": "{d1}T12:00"}, "start", "minute mark"),
        ({"start_date": "{d1}", "end_date": "2999-01-01"}, "start", ""),
    ],
)
def test_bad_dates_get_a_message_next_to_the_field_and_the_catalog_without_availability(
    app, client, params, field, message
):
    make_type(units=2)
    d1, d2 = tomorrow() + timedelta(days=1), tomorrow() + timedelta(days=3)
    params = {k: v.format(d1=d1, d2=d2) for k, v in params.items()}
    for htmx in (False, True):
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.get("/catalog?" + urlencode(params), headers=headers)
        assert response.status_code == 422, params
        body = response.get_data(as_text=True)
        errors = re.search(r'<div id="dates-errors"[^>]*>(.*?)</div>', body, re.S)
        assert errors, body[:500]
        assert f'id="{field}-error"' in errors.group(1) or (
            field == "start" and 'id="end-error"' in errors.group(1)
        ), errors.group(1)
        assert message in errors.group(1)
        assert "We could not check your dates" in body
        shown = cards(body)
        assert len(shown) == 1 and all(text == "" for _, text in shown.values())
        if htmx:
            assert "<html" not in body and 'hx-swap-oob="true"' in body
        else:
            assert 'aria-invalid="true"' in body


def test_the_period_carries_into_the_type_page_and_fills_the_availability_form(app, client):
    fleet = make_type(units=3)
    d = tomorrow() + timedelta(days=1)
    body = client.get(dated(d, d + timedelta(days=1), quantity=2)).get_data(as_text=True)
    ((link, text),) = cards(body).values()
    assert text == "3 free"
    assert link.startswith(f"/catalog/{fleet.slug}?")
    page = client.get(link).get_data(as_text=True)
    slot = re.search(r'<section id="availability"[^>]*hx-get="([^"]*)"', page).group(1)
    slot = unescape(slot)
    for part in (
        f"start_date={d.isoformat()}",
        f"end_date={(d + timedelta(days=1)).isoformat()}",
        "quantity=2",
        "_block=availability",
    ):
        assert part in slot, slot
    button = unescape(re.search(r'<a href="(/book/[^"]*)" role="button"', page).group(1))
    assert f"start_date={d.isoformat()}" in button and "_block" not in button
    # The breadcrumb back to the catalog keeps the dates too.
    crumb = unescape(re.search(r'<nav aria-label="breadcrumb">.*?href="([^"]*)"', page, re.S)[1])
    assert f"start_date={d.isoformat()}" in crumb and "quantity=2" in crumb
    # The availability form (what the slot loads, and the link without JavaScript) is filled in.
    form = client.get(button).get_data(as_text=True)
    assert f'name="start_date" value="{d.isoformat()}"' in form
    assert f'name="end_date" value="{(d + timedelta(days=1)).isoformat()}"' in form
    assert 'name="quantity" value="2"' in form
    assert "AVAILABLE" in form and "3 of 3 free" in form
    fragment = client.get(slot, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'value="{d.isoformat()}"' in fragment
    # Dates that do not parse are not carried.
    plain = client.get(f"/catalog/{fleet.slug}?start_date=nonsense").get_data(as_text=True)
    assert "nonsense" not in plain
    # The type page's canonical address has no dates.
    assert head(client, link).canonical == [f"http://localhost/catalog/{fleet.slug}"]


def test_htmx_fragments_keep_the_period(app, client):
    category = make_category("Power")
    for _ in range(14):
        make_type(units=2, name="Generator", category_id=category)
    d = tomorrow() + timedelta(days=1)
    url = dated(d, d, q="generator")
    response = client.get(url, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert all(text == "2 free" for _, text in cards(body).values())
    assert len(cards(body)) == 12
    nxt = unescape(re.search(r'hx-get="([^"]*)"[^>]*rel="next"', body).group(1))
    assert f"start_date={d.isoformat()}" in nxt and "q=generator" in nxt
    second = client.get(nxt, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert [text for _, text in cards(second).values()] == ["2 free", "2 free"]
    # The full page's form holds the dates, so the active search sends them along.
    full = client.get(url).get_data(as_text=True)
    assert f'name="start_date" value="{d.isoformat()}"' in full
    assert re.search(r'<input type="search"[^>]*hx-include="closest form"', full)


def test_the_dated_catalog_is_one_canonical_page_and_blank_parameters_still_redirect(app, client):
    make_type(units=1)
    d = tomorrow() + timedelta(days=1)
    seen = head(client, dated(d, d, available=1, q="generator"))
    assert seen.canonical == ["http://localhost/catalog?q=generator"]
    assert head(client, dated(d, d)).canonical == ["http://localhost/catalog"]
    blank = client.get("/catalog?start_date=&end_date=&quantity=&q=")
    assert blank.status_code == 301 and blank.headers["Location"] == "/catalog"
    some = client.get(f"/catalog?start_date={d.isoformat()}&end_date=&quantity=")
    assert some.status_code == 301
    assert some.headers["Location"] == f"/catalog?start_date={d.isoformat()}"
    # One day when only the first is given.
    body = client.get(some.headers["Location"]).get_data(as_text=True)
    assert [text for _, text in cards(body).values()] == ["1 free"]


@pytest.mark.parametrize("available", [False, True])
def test_the_dated_catalog_costs_the_same_statements_for_3_types_as_for_12(app, client, available):
    category = make_category("Power")
    fleets = [make_type(units=2, name="Generator", category_id=category) for _ in range(3)]
    d = tomorrow() + timedelta(days=1)
    book(fleets[0].type_id, days(d, d), 2)
    url = dated(d, d, **({"available": 1} if available else {}))
    with cold_statements() as small:
        assert client.get(url).status_code == 200
    fleets += [make_type(units=2, name="Generator", category_id=category) for _ in range(11)]
    book(fleets[5].type_id, days(d, d), 1)
    with cold_statements() as full:
        body = client.get(url).get_data(as_text=True)
    assert len(cards(body)) == 12
    # Categories (2), the page (count + types, or ids + the kept page's types), its filters,
    # rate cards, the fleets, the reservations: 8 on either database. (An item out with a
    # customer adds Inventory's two reads of who has it — still not one per type.)
    assert len(full) == len(small) <= 9, explain(full)  # 8 + the shop's footer
    assert len(reading(full, "pricing_rate_cards")) == 1, explain(full)
    assert len(reading(full, "booking_reservations")) == 1, explain(full)


def test_keep_looks_at_the_first_matches_only_and_says_so(app):
    category = make_category("Power")
    for _ in range(5):
        make_type(units=1, name="Generator", category_id=category)
    asked: list[list[str]] = []

    def keep(ids: list[str]) -> list[str]:
        asked.append(ids)
        return ids[1:]

    page = CatalogFacade().browse_catalog(BrowseCatalog(page_size=2), keep=keep, keep_limit=3)
    assert len(asked) == 1 and len(asked[0]) == 3  # once, with the first 3 in the page's order
    assert (page.result.total, page.result.scanned, page.result.pages) == (2, 3, 1)
    assert [t.id for t in page.result.items] == asked[0][1:]
    whole = CatalogFacade().browse_catalog(BrowseCatalog(page_size=2), keep=keep)
    assert whole.result.scanned is None and whole.result.total == 4

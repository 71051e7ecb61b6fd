"""Whole public pages kept for visitors, per reference token (rental.shared.reference_cache).

The catalog and a type's page are most of what visitors and search engines ask for, and they
are built only from reference data: rendering them again for every visit cost more than
everything else in the request. `cached_page` keeps the rendered page in the web process and
hands it to the next visitor while the token is unchanged.

What may differ between visitors is kept out, by construction:
- only a visitor whose session holds nothing but a CSRF token is served (or stored): nobody
  signed in, no flash message waiting;
- the page is rendered without the CSRF token other pages give htmx (`SHARED_PAGE` in `g`
  tells base.html): the pages passed here send htmx nothing but GETs, and the forms that post
  (the availability answer's "Add to booking") carry their own token. So such a page starts
  no session, sets no cookie and is the same bytes for everyone: it is kept compressed too
  (brotli and gzip, made once per page), and a first visit costs no session at all. Should a
  page still call `csrf_token()` (a form that posts), its token is stored as a placeholder
  and replaced with the visitor's own on the way out, and the page is compressed per request;
- the key holds the address with its query, the host and scheme, the htmx headers that
  choose between the page and a fragment, and the hour of `moment` (the pages show dates
  counted from today);
- only a 200 answer is kept, without its cookies.
The caller decides which pages qualify: only those read from reference data alone (the dated
catalog reads bookings and is never passed here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Response as FlaskResponse
from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from rental.shared.assets import compress_html, html_encoding
from rental.shared.reference_cache import bound, load_shared

_NAMESPACE = "pages"
# Per process: ~25 KB a page and ~10 KB of compressed copies, so ~18 MB at most, whatever
# crawlers ask for.
MAX_PAGES = 500
bound(_NAMESPACE, MAX_PAGES)
_PLACEHOLDER = "__rentkit_csrf_token__"
_HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-Target", "HX-History-Restore-Request")
_SKIPPED_HEADERS = {"content-length", "set-cookie"}
SHARED_PAGE = "rentkit_shared_page"  # in `g` while a page that may be kept renders


@dataclass(frozen=True, slots=True)
class _Page:
    body: str  # with _PLACEHOLDER where the CSRF token was, if the page had one
    status: int
    headers: tuple[tuple[str, str], ...]
    mimetype: str | None
    # Content-Encoding -> the body compressed, made at the first visitor that accepts it
    # (pages without a token only: theirs are the same bytes for everyone).
    encoded: dict[str, bytes] = field(default_factory=dict, compare=False)


def cached_page(render_page: Callable[[], FlaskResponse], *, moment: datetime) -> FlaskResponse:
    """`render_page()`'s answer, from the process's store when this visitor may have it."""
    key = _key(moment)
    if key is None:
        return render_page()
    setattr(g, SHARED_PAGE, True)
    rendered: list[FlaskResponse] = []

    def render_and_keep() -> _Page | None:
        rendered.append(render_page())
        return _storable(rendered[0])

    page = load_shared(_NAMESPACE, key, render_and_keep, alone=True)  # a kept page reads no more
    if rendered:
        return rendered[0]
    return render_page() if page is None else _replay(page)


def _anonymous() -> bool:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return set(session.keys()) <= {field}


def _key(moment: datetime) -> tuple[object, ...] | None:
    if request.method not in ("GET", "HEAD") or not _anonymous():
        return None
    htmx = tuple(request.headers.get(name, "") for name in _HTMX_HEADERS)
    hour = moment.strftime("%Y-%m-%dT%H")
    return (request.endpoint, request.scheme, request.host, request.full_path, htmx, hour)


def _storable(response: FlaskResponse) -> _Page | None:
    if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
        return None
    body = response.get_data(as_text=True)
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token:
        body = body.replace(token, _PLACEHOLDER)
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in _SKIPPED_HEADERS
    )
    return _Page(body, response.status_code, headers, response.mimetype)


def _replay(page: _Page) -> FlaskResponse:
    if _PLACEHOLDER in page.body:
        body: str | bytes = page.body.replace(_PLACEHOLDER, generate_csrf())
        encoding = None  # compressed on the way out (rental.shared.assets), as any page
    else:
        encoding = html_encoding()
        body = _encoded(page, encoding) if encoding else page.body
    response = FlaskResponse(body, status=page.status, mimetype=page.mimetype)
    response.headers.clear()
    response.headers.extend(page.headers)
    if encoding:
        response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
    return response


def _encoded(page: _Page, encoding: str) -> bytes:
    """The page's body compressed as every other page is, once. (Two threads may both compress
    it: the same bytes.)"""
    if (packed := page.encoded.get(encoding)) is None:
        packed = page.encoded[encoding] = compress_html(page.body.encode(), encoding)
    return packed

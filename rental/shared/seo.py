"""What search engines and link previews read about a public page: its title, a description,
the canonical address, Open Graph tags and schema.org structured data (JSON-LD).

A view builds a `PageMeta` and passes it to its template as `meta`; `templates/base.html`
writes it into <head>. Pages without one (staff pages, forms) get none of these tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, request

# Search engines show about this many characters of a description.
DESCRIPTION_LENGTH = 160


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str  # what the page is, without the site's name: "Generators for rent"
    description: str  # <meta name="description"> and og:description
    canonical: str  # absolute; also og:url
    og_type: str = "website"
    image: str | None = None  # absolute; og:image
    image_alt: str = ""
    properties: tuple[tuple[str, str], ...] = ()  # more Open Graph properties
    structured_data: Mapping[str, Any] | None = None  # schema.org, written with |tojson


def absolute_url(path: str) -> str:
    """`path` (as url_for gives it: '/catalog?category=power') on the site's public address:
    PUBLIC_URL when it is set, else the scheme and host this request came to."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + "/" + path.lstrip("/")


def summary(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters (with '…')."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.–—-") + "…"


def page_meta(
    title: str,
    description: str,
    path: str,
    *,
    image: str | None = None,
    **more: Any,
) -> PageMeta:
    """A PageMeta whose canonical address and image are made absolute and whose description
    is cut to what a search result shows."""
    return PageMeta(
        title=title,
        description=summary(description),
        canonical=absolute_url(path),
        image=absolute_url(image) if image else None,
        **more,
    )

"""Catalog reads (public, rate-limited per IP without a token, ETag): categories."""

from __future__ import annotations

from flask import Response

from rental.api.web.core import PUBLIC, bp, operation
from rental.api.web.helpers import page_of, page_response
from rental.api.web.schemas.catalog import CategoryOut, CategoryPage, CategoryQuery
from rental.catalog import CatalogFacade


@bp.get("/categories")
@operation(PUBLIC, query=CategoryQuery, ok=CategoryPage, etag=True, tags=["catalog"])
def list_categories(query: CategoryQuery) -> Response:
    """Every category, ordered by slug, with its parent and number of equipment types."""
    nodes = sorted(CatalogFacade().list_categories(), key=lambda n: n.slug)
    page, next_cursor = page_of(nodes, query, key=lambda n: n.slug)
    data = [
        CategoryOut(
            id=n.id,
            name=n.name,
            slug=n.slug,
            parent_id=n.parent_id,
            depth=n.depth,
            type_count=n.type_count,
        )
        for n in page
    ]
    return page_response(CategoryPage(data=data, next_cursor=next_cursor), next_cursor, etag=True)

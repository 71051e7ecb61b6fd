"""Catalog: categories (more to come: equipment types, kits, rate cards)."""

from __future__ import annotations

from pydantic import Field

from rental.api.web.schemas.common import ApiModel, Page, PageQuery


class CategoryOut(ApiModel):
    id: str
    name: str
    slug: str
    parent_id: str | None
    depth: int = Field(description="0 for a top-level category.")
    type_count: int = Field(description="Active equipment types in it and below it.")


class CategoryQuery(PageQuery):
    pass


class CategoryPage(Page):
    data: list[CategoryOut]

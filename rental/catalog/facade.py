"""CatalogFacade: the only entry point to the catalog for other modules and the web layer.
Wiring (a session's repositories into the handlers), unit_of_work and error mapping only."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.catalog.application.commands import (
    CategoryCommands,
    CreateCategory,
    DefineEquipmentType,
    DeleteCategory,
    EquipmentTypeCommands,
    MoveCategory,
    RenameCategory,
    UpdateEquipmentType,
)
from rental.catalog.application.queries import (
    BrowseCatalog,
    CatalogPage,
    CatalogQueries,
    CategoryNode,
    EquipmentTypeDetails,
    EquipmentTypeSummary,
    SearchEquipmentTypes,
    SearchResult,
    SpecFacet,
)
from rental.catalog.infrastructure.repositories import CategoryRepository, EquipmentTypeRepository
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.request_cache import cached, forget, remember

_RACE = "Someone saved the same web address at the same moment; please try again."
# A type's details are read by several modules in one request (the booking page, its check,
# its hold): once per request (rental.shared.request_cache); any catalog change forgets them.
_TYPES = "catalog.types"
F = TypeVar("F", bound=Callable[..., Any])


def _changes_catalog(command: F) -> F:
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        finally:
            forget(_TYPES)

    return run  # type: ignore[return-value]


def _categories(session: Session) -> CategoryCommands:
    return CategoryCommands(CategoryRepository(session), EquipmentTypeRepository(session))


def _types(session: Session) -> EquipmentTypeCommands:
    return EquipmentTypeCommands(CategoryRepository(session), EquipmentTypeRepository(session))


class CatalogFacade:
    # --- queries ------------------------------------------------------------------------------

    def _queries(self) -> CatalogQueries:
        return CatalogQueries(db.session())

    def get_equipment_type_details(self, equipment_type_id: str) -> EquipmentTypeDetails:
        return cached(
            _TYPES, ("id", equipment_type_id), lambda: self._queries().details(equipment_type_id)
        )

    def get_equipment_type_by_slug(self, slug: str) -> EquipmentTypeDetails:
        details = cached(_TYPES, ("slug", slug), lambda: self._queries().details_by_slug(slug))
        remember(_TYPES, ("id", details.id), details)
        return details

    def equipment_type_exists(self, equipment_type_id: str) -> bool:
        return self._queries().exists(equipment_type_id)

    def list_active_type_slugs(self) -> list[str]:
        """The slug of every active type, by slug: the types that have a public page."""
        return self._queries().active_type_slugs()

    def get_equipment_type_summaries(self, ids: Iterable[str]) -> dict[str, EquipmentTypeSummary]:
        return self._queries().summaries(ids)

    def similar_types(
        self, equipment_type_id: str, limit: int | None = None
    ) -> list[EquipmentTypeSummary]:
        """The other active types of the same category with comparable specs (power within
        ±25 %, the same fuel), closest first (at most `limit`); [] for an unknown type."""
        return self._queries().similar_types(equipment_type_id, limit)

    def search_equipment_types(self, query: SearchEquipmentTypes) -> SearchResult:
        return self._queries().search(query)

    def browse_catalog(self, query: BrowseCatalog) -> CatalogPage:
        """Everything the public catalog page shows (tree, category, results, spec filters)."""
        return self._queries().browse(query)

    def get_category_tree(self, include_inactive: bool = False) -> list[CategoryNode]:
        """Root categories with their children; `type_count` counts types below each node."""
        return self._queries().category_tree(include_inactive)

    def list_categories(self) -> list[CategoryNode]:
        """Every category once, in tree order with its depth (for select boxes)."""
        return self._queries().flat_categories()

    def get_category_by_slug(self, slug: str) -> CategoryNode | None:
        return self._queries().category_by_slug(slug)

    def get_spec_facets(
        self, category_id: str | None = None, include_inactive: bool = False
    ) -> list[SpecFacet]:
        return self._queries().spec_facets(category_id, include_inactive)

    # --- commands -----------------------------------------------------------------------------

    @_changes_catalog
    def create_category(self, cmd: CreateCategory) -> str:
        try:
            with unit_of_work() as session:
                return _categories(session).create(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

    @_changes_catalog
    def rename_category(self, cmd: RenameCategory) -> None:
        with unit_of_work() as session:
            _categories(session).rename(cmd)

    @_changes_catalog
    def move_category(self, cmd: MoveCategory) -> None:
        with unit_of_work() as session:
            _categories(session).move(cmd)

    @_changes_catalog
    def delete_category(self, cmd: DeleteCategory) -> None:
        with unit_of_work() as session:
            _categories(session).delete(cmd)

    @_changes_catalog
    def define_equipment_type(self, cmd: DefineEquipmentType) -> str:
        try:
            with unit_of_work() as session:
                return _types(session).define(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

    @_changes_catalog
    def update_equipment_type(self, cmd: UpdateEquipmentType) -> None:
        try:
            with unit_of_work() as session:
                _types(session).update(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None


# --- columns other modules add to the staff's list of equipment types --------------------------
# Catalog imports no other feature module, yet staff want to see, say, each type's rates next to
# it. A module that depends on catalog (pricing) adds a column at start-up, as Booking adds its
# demand source to Inventory.


@dataclass(frozen=True, slots=True)
class TypeListColumn:
    heading: str
    cells: Callable[[Sequence[str]], Mapping[str, str]]  # type ids -> the text of their cell
    missing: str  # a badge for a type without a cell, e.g. "NO PRICE"


TYPE_LIST_COLUMNS = "catalog.type_list_columns"


def register_type_list_column(app: Flask, column: TypeListColumn) -> None:
    columns = app.extensions.setdefault(TYPE_LIST_COLUMNS, {})
    columns[column.heading] = column  # one per heading: init_app may run again in tests


def type_list_columns() -> list[TypeListColumn]:
    if not has_app_context():
        return []
    return list(current_app.extensions.get(TYPE_LIST_COLUMNS, {}).values())

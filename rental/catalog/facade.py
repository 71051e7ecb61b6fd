"""CatalogFacade: the only entry point to the catalog for other modules and the web layer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError

from rental.catalog.application.commands import (
    CategoryHandlers,
    CreateCategory,
    DefineEquipmentType,
    DeleteCategory,
    EquipmentTypeHandlers,
    MoveCategory,
    RenameCategory,
    UpdateEquipmentType,
)
from rental.catalog.application.queries import (
    CatalogQueries,
    CategoryNode,
    EquipmentTypeDetails,
    EquipmentTypeSummary,
    SearchEquipmentTypes,
    SearchResult,
    SpecFacet,
)
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError

_RACE = "Someone saved the same web address at the same moment; please try again."


class CatalogFacade:
    # --- queries ------------------------------------------------------------------------------

    def _queries(self) -> CatalogQueries:
        return CatalogQueries(db.session())

    def get_equipment_type_details(self, equipment_type_id: str) -> EquipmentTypeDetails:
        return self._queries().details(equipment_type_id)

    def get_equipment_type_by_slug(self, slug: str) -> EquipmentTypeDetails:
        return self._queries().details_by_slug(slug)

    def equipment_type_exists(self, equipment_type_id: str) -> bool:
        return self._queries().exists(equipment_type_id)

    def get_equipment_type_summaries(self, ids: Iterable[str]) -> dict[str, EquipmentTypeSummary]:
        return self._queries().summaries(ids)

    def list_active_types_in_category(self, category_id: str) -> list[EquipmentTypeSummary]:
        return self._queries().active_in_category(category_id)

    def search_equipment_types(self, query: SearchEquipmentTypes) -> SearchResult:
        return self._queries().search(query)

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

    def create_category(self, cmd: CreateCategory) -> str:
        try:
            with unit_of_work() as session:
                return CategoryHandlers(session).create(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

    def rename_category(self, cmd: RenameCategory) -> None:
        with unit_of_work() as session:
            CategoryHandlers(session).rename(cmd)

    def move_category(self, cmd: MoveCategory) -> None:
        with unit_of_work() as session:
            CategoryHandlers(session).move(cmd)

    def delete_category(self, cmd: DeleteCategory) -> None:
        with unit_of_work() as session:
            CategoryHandlers(session).delete(cmd)

    def define_equipment_type(self, cmd: DefineEquipmentType) -> str:
        try:
            with unit_of_work() as session:
                return EquipmentTypeHandlers(session).define(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

    def update_equipment_type(self, cmd: UpdateEquipmentType) -> None:
        try:
            with unit_of_work() as session:
                EquipmentTypeHandlers(session).update(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

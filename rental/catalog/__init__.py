"""Catalog: what can be rented — categories (a tree) and equipment types with specifications.

Other modules and the web layer use only what is exported here."""

from rental.catalog.application.commands import (
    CreateCategory,
    DefineEquipmentType,
    DeleteCategory,
    MoveCategory,
    RenameCategory,
    UpdateEquipmentType,
)
from rental.catalog.application.queries import (
    CategoryNode,
    EquipmentTypeDetails,
    EquipmentTypeSummary,
    SearchEquipmentTypes,
    SearchResult,
    SpecEntry,
    SpecFacet,
    SpecFilter,
)
from rental.catalog.facade import CatalogFacade

__all__ = [
    "CatalogFacade",
    "CategoryNode",
    "CreateCategory",
    "DefineEquipmentType",
    "DeleteCategory",
    "EquipmentTypeDetails",
    "EquipmentTypeSummary",
    "MoveCategory",
    "RenameCategory",
    "SearchEquipmentTypes",
    "SearchResult",
    "SpecEntry",
    "SpecFacet",
    "SpecFilter",
    "UpdateEquipmentType",
]

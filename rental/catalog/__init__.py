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
    SORTS,
    BrowseCatalog,
    CatalogPage,
    CategoryNode,
    EquipmentTypeDetails,
    EquipmentTypeSummary,
    SearchEquipmentTypes,
    SearchResult,
    SpecEntry,
    SpecFacet,
    SpecFilter,
    flatten,
)
from rental.catalog.facade import CatalogFacade, TypeListColumn, register_type_list_column

__all__ = [
    "SORTS",
    "BrowseCatalog",
    "CatalogFacade",
    "CatalogPage",
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
    "TypeListColumn",
    "UpdateEquipmentType",
    "flatten",
    "register_type_list_column",
]

"""Catalog: what can be rented — categories (a tree) and equipment types with specifications.

Other modules and the web layer use only what is exported here."""

from rental.catalog.application.commands import (
    CreateCategory,
    DefineEquipmentType,
    DefineKit,
    DeleteCategory,
    KitRateInput,
    MoveCategory,
    RenameCategory,
    UpdateEquipmentType,
    UpdateKit,
)
from rental.catalog.application.queries import (
    SORTS,
    BrowseCatalog,
    CatalogPage,
    CategoryNode,
    EquipmentTypeDetails,
    EquipmentTypeSummary,
    KitDetails,
    KitLine,
    SearchEquipmentTypes,
    SearchResult,
    SpecEntry,
    SpecFacet,
    SpecFilter,
    flatten,
)
from rental.catalog.domain.kits import MAX_DISCOUNT, KitComponent, KitRates
from rental.catalog.domain.models import SpecKind, parse_spec_rows, spec_kind
from rental.catalog.facade import CatalogFacade, TypeListColumn, register_type_list_column

__all__ = [
    "MAX_DISCOUNT",
    "SORTS",
    "BrowseCatalog",
    "CatalogFacade",
    "CatalogPage",
    "CategoryNode",
    "CreateCategory",
    "DefineEquipmentType",
    "DefineKit",
    "DeleteCategory",
    "EquipmentTypeDetails",
    "EquipmentTypeSummary",
    "KitComponent",
    "KitDetails",
    "KitLine",
    "KitRateInput",
    "KitRates",
    "MoveCategory",
    "RenameCategory",
    "SearchEquipmentTypes",
    "SearchResult",
    "SpecEntry",
    "SpecFacet",
    "SpecFilter",
    "SpecKind",
    "TypeListColumn",
    "UpdateEquipmentType",
    "UpdateKit",
    "flatten",
    "parse_spec_rows",
    "register_type_list_column",
    "spec_kind",
]

"""CatalogFacade: the only entry point to the catalog for other modules and the web layer.
Wiring (a session's repositories into the handlers), unit_of_work and error mapping only."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.catalog.application.commands import (
    CategoryCommands,
    CreateCategory,
    DefineEquipmentType,
    DefineKit,
    DeleteCategory,
    EquipmentTypeCommands,
    KitCommands,
    MoveCategory,
    RenameCategory,
    UpdateEquipmentType,
    UpdateKit,
)
from rental.catalog.application.queries import (
    KEEP_LIMIT,
    BrowseCatalog,
    CatalogPage,
    CatalogQueries,
    CategoryNode,
    EquipmentTypeDetails,
    EquipmentTypeSummary,
    Keep,
    KitDetails,
    KitQueries,
    SearchEquipmentTypes,
    SearchResult,
    SpecFacet,
)
from rental.catalog.infrastructure.kits import KitRepository
from rental.catalog.infrastructure.repositories import CategoryRepository, EquipmentTypeRepository
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.images import all_file_names
from rental.shared.images.processing import ProcessedImage
from rental.shared.images.store import ImageStorageError
from rental.shared.images.web import image_store
from rental.shared.request_cache import cached, cached_many, forget, remember

_RACE = "Someone saved the same web address at the same moment; please try again."
# A type's details are read by several modules in one request (the booking page, its check,
# its hold): once per request (rental.shared.request_cache); any catalog change forgets them.
_TYPES = "catalog.types"
# The public pages' other reads, also kept across requests (rental.shared.reference_cache).
_READS = "catalog.reads"
_SUMMARIES = "catalog.summaries"
F = TypeVar("F", bound=Callable[..., Any])


def _changes_catalog(command: F) -> F:
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        finally:
            forget(_TYPES)

    return run  # type: ignore[return-value]


log = logging.getLogger(__name__)


@contextlib.contextmanager
def _stored_first(image: ProcessedImage | None) -> Iterator[None]:
    """The photo's files are written before the row that names them, and removed again when
    the row is not written: a failed file write leaves no row, a failed row no file. (Files
    that were already there — the same photo on another type or kit — are left alone.)"""
    if image is None:
        yield
        return
    try:
        created = image_store().put(image.files)
    except OSError:
        log.exception("Could not store the files of image %s", image.image.key)
        raise ImageStorageError() from None
    try:
        yield
    except BaseException:
        image_store().delete(created)
        raise


def _discard_unless_shown(key: str | None) -> None:
    """After the commit: a photo no type or kit shows any more has its files removed. A failure to
    delete is logged, never the user's problem (the row is already right)."""
    if key is None or EquipmentTypeRepository(db.session()).image_in_use(key):
        return
    try:
        image_store().delete(all_file_names(key))
    except OSError:
        log.warning("Could not remove the files of image %s", key, exc_info=True)


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
            _TYPES,
            ("id", equipment_type_id),
            lambda: self._queries().details(equipment_type_id),
            across_requests=True,
        )

    def get_equipment_type_by_slug(self, slug: str) -> EquipmentTypeDetails:
        details = cached(
            _TYPES,
            ("slug", slug),
            lambda: self._queries().details_by_slug(slug),
            across_requests=True,
        )
        remember(_TYPES, ("id", details.id), details)
        return details

    def equipment_type_exists(self, equipment_type_id: str) -> bool:
        return self._queries().exists(equipment_type_id)

    def list_public_slugs(self) -> tuple[list[str], list[str]]:
        """(active type slugs, public kit slugs), each sorted, in one statement."""
        return cached(
            _READS, "public_slugs", KitQueries(db.session()).public_slugs, across_requests=True
        )

    def get_kit_by_slug(self, slug: str) -> KitDetails:
        """A kit with its components (also inactive ones: the caller checks `public`)."""
        return cached(
            _READS,
            ("kit", slug),
            lambda: KitQueries(db.session()).by_slug(slug),
            across_requests=True,
        )

    def get_kit(self, kit_id: str) -> KitDetails:
        return KitQueries(db.session()).by_id(kit_id)

    def list_kits(self, public_only: bool = False) -> list[KitDetails]:
        """Every kit by name, or only those visitors see: active, every component active."""
        return cached(
            _READS,
            ("kits", public_only),
            lambda: KitQueries(db.session()).all(public_only),
            across_requests=True,
        )

    def list_active_type_slugs(self) -> list[str]:
        """The slug of every active type, by slug: the types that have a public page."""
        return self._queries().active_type_slugs()

    def get_equipment_type_summaries(self, ids: Iterable[str]) -> dict[str, EquipmentTypeSummary]:
        found = cached_many(
            _SUMMARIES,
            ids,
            lambda missing: self._queries().summaries(missing),
            across_requests=True,
        )
        return {type_id: summary for type_id, summary in found.items() if summary is not None}

    def similar_types(
        self, equipment_type_id: str, limit: int | None = None
    ) -> list[EquipmentTypeSummary]:
        """The other active types of the same category with comparable specs (power within
        ±25 %, the same fuel), closest first (at most `limit`); [] for an unknown type."""
        return cached(
            _READS,
            ("similar", equipment_type_id, limit),
            lambda: self._queries().similar_types(equipment_type_id, limit),
            across_requests=True,
        )

    def search_equipment_types(self, query: SearchEquipmentTypes) -> SearchResult:
        return self._queries().search(query)

    def browse_catalog(
        self, query: BrowseCatalog, keep: Keep | None = None, keep_limit: int = KEEP_LIMIT
    ) -> CatalogPage:
        """Everything the public catalog page shows (tree, category, results, spec filters).
        `keep(ids)`: a narrowing the caller decides (which of the matching types to list),
        applied before the pages are cut, to the first `keep_limit` matches."""
        if keep is not None:  # the caller's narrowing may read anything: not kept
            return self._queries().browse(query, keep, keep_limit)
        return cached(
            _READS,
            ("browse", query, keep_limit),
            lambda: self._queries().browse(query, None, keep_limit),
            across_requests=True,
        )

    def get_category_tree(self, include_inactive: bool = False) -> list[CategoryNode]:
        """Root categories with their children; `type_count` counts types below each node."""
        return cached(
            _READS,
            ("tree", include_inactive),
            lambda: self._queries().category_tree(include_inactive),
            across_requests=True,
        )

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
            with _stored_first(cmd.new_image), unit_of_work() as session:
                return _types(session).define(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

    @_changes_catalog
    def update_equipment_type(self, cmd: UpdateEquipmentType) -> None:
        try:
            with _stored_first(cmd.new_image), unit_of_work() as session:
                replaced = _types(session).update(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None
        _discard_unless_shown(replaced)

    def define_kit(self, cmd: DefineKit) -> str:
        try:
            with _stored_first(cmd.new_image), unit_of_work() as session:
                return KitCommands(KitRepository(session)).define(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None

    def update_kit(self, cmd: UpdateKit) -> None:
        try:
            with _stored_first(cmd.new_image), unit_of_work() as session:
                replaced = KitCommands(KitRepository(session)).update(cmd)
        except IntegrityError:
            raise ConflictError(_RACE) from None
        _discard_unless_shown(replaced)


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

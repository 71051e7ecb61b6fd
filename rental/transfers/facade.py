"""TransfersFacade: CSV imports and the catalog export, above Catalog, Pricing and Inventory.

Wiring only: the upload store, one unit_of_work per preview or apply (a preview is always
rolled back; an apply is committed only when no row failed), the facades of the modules the
rows go to. The rules stay in those modules' commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.inventory import ITEMS_CSV_HEADER, InventoryFacade
from rental.pricing import PricingFacade, rate_card_form
from rental.shared.db import unit_of_work
from rental.shared.errors import ValidationError
from rental.transfers.application.imports import (
    RATE_COLUMNS,
    ImportReport,
    ItemImport,
    TypeImport,
    spec_cell,
)
from rental.transfers.domain.csv_files import (
    MAX_BYTES,
    TYPES_CSV_HEADER,
    Kind,
    decode,
    read_rows,
)
from rental.transfers.infrastructure.uploads import TooLarge, UploadStore

HEADERS = {Kind.TYPES: TYPES_CSV_HEADER, Kind.ITEMS: ITEMS_CSV_HEADER}
EXPIRED = (
    "This upload is no longer here: it was imported already, or it is older than an hour. "
    "Upload the file again to see its preview."
)


class _Undo(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


class TransfersFacade:
    def __init__(self, store: UploadStore | None = None) -> None:
        self._store = store or UploadStore(Path(current_app.instance_path) / "imports")

    # --- the upload -------------------------------------------------------------------------

    def keep_upload(self, stream: BinaryIO, kind: Kind) -> str:
        """Keeps the uploaded file for the preview and the apply; its token. ValidationError
        (field "file") past MAX_BYTES — read a chunk at a time, never whole."""
        try:
            return self._store.save(stream, kind.value, MAX_BYTES)
        except TooLarge:
            raise ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; import at most "
                "10,000 rows at a time (split the file).",
                field="file",
            ) from None

    def forget_upload(self, token: str, kind: Kind) -> None:
        self._store.discard(token, kind.value)

    # --- preview and apply ------------------------------------------------------------------

    def preview(self, token: str, kind: Kind, actor: str) -> ImportReport:
        """What applying would do, row by row; nothing is written. ValidationError (field
        "file") for a file that cannot be read, or an unknown/expired token."""
        return self._run(token, kind, actor, apply=False)

    def apply(self, token: str, kind: Kind, actor: str) -> ImportReport:
        """All rows in one transaction, or none: a report with errors wrote nothing."""
        report = self._run(token, kind, actor, apply=True)
        if report.applied:
            self._store.discard(token, kind.value)
        return report

    def _run(self, token: str, kind: Kind, actor: str, *, apply: bool) -> ImportReport:
        data = self._store.read(token, kind.value)
        if data is None:
            raise ValidationError(EXPIRED, field="file")
        rows = read_rows(decode(data), HEADERS[kind])
        try:
            with unit_of_work() as session:
                catalog = CatalogFacade()
                if kind is Kind.TYPES:
                    importer = TypeImport(catalog, PricingFacade(catalog), session, actor)
                    report = importer.run(rows)
                else:
                    inventory = InventoryFacade(catalog)
                    report = ItemImport(catalog, inventory, session, actor).run(rows)
                if not apply or not report.ok:
                    raise _Undo(report)
        except _Undo as undo:
            return undo.report
        return ImportReport(report.kind, report.rows, applied=True)

    # --- the catalog export -----------------------------------------------------------------

    def export_types(self) -> Iterator[tuple[str, ...]]:
        """Every equipment type (also inactive ones) as TYPES_CSV_HEADER's cells, by name, a
        page of 100 at a time."""
        catalog, pricing = CatalogFacade(), PricingFacade()
        categories = {c.id: c.slug for c in catalog.list_categories()}
        page = 1
        while True:
            found = catalog.search_equipment_types(
                SearchEquipmentTypes(include_inactive=True, page=page, page_size=100, sort="name")
            )
            cards = pricing.get_rate_cards([t.id for t in found.items])
            for summary in found.items:
                d = catalog.get_equipment_type_details(summary.id)
                card = cards.get(d.id)
                rates = rate_card_form(card) if card else {}
                yield (
                    d.slug,
                    d.name,
                    categories.get(d.category_id, ""),
                    d.short_description,
                    d.description,
                    "yes" if d.active else "no",
                    spec_cell(d.specs),
                    *(rates.get(field, "") for field in RATE_COLUMNS.values()),
                )
            if not found.has_next:
                return
            page += 1

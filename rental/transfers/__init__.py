"""Transfers: CSV import of equipment types (with specifications and rates) and of items by
serial number — upload, preview with per-row errors, apply all-or-nothing — and the catalog's
CSV export in the import's format. A small module above Catalog, Pricing and Inventory: every
row goes through their facades' commands (application/imports.py).

Where things live:
  domain/csv_files.py         reading a CSV upload (encoding, header, rows, limits), the types
                              CSV's columns, the formula guard undone
  application/imports.py      TypeImport, ItemImport: rows → the modules' commands, per row in
                              a savepoint; ImportReport
  infrastructure/uploads.py   uploads kept between preview and apply (instance/imports, 1 h)
  facade.py                   TransfersFacade: one unit_of_work per preview / apply, the export
  web.py                      /admin/imports, /admin/catalog/types.csv
"""

from rental.transfers.application.imports import CellError, ImportReport, RowOutcome
from rental.transfers.domain.csv_files import MAX_BYTES, MAX_ROWS, TYPES_CSV_HEADER, Kind
from rental.transfers.facade import TransfersFacade

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "TYPES_CSV_HEADER",
    "CellError",
    "ImportReport",
    "Kind",
    "RowOutcome",
    "TransfersFacade",
]

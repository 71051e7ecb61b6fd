"""Reading an uploaded CSV file (pure): the bytes as UTF-8 text, the header against the
columns a kind of import expects, and the rows as cells by column name — with every way a
file can be wrong said in plain words (never an exception the page cannot show).

The format is the app's own export (rental.shared.spreadsheet): UTF-8 with or without a BOM,
commas, a header line, and cells a spreadsheet would run as a formula written with a leading
apostrophe. Other encodings are refused with how to save the file as UTF-8: guessing between
cp1252, latin-1 and others silently changes letters, and the import must not do that."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rental.shared.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-\d+(\.\d+)?")
_SAVE_AS = (
    "Save it as “CSV UTF-8 (comma delimited)” (Excel) or as CSV with the character set "
    "“Unicode (UTF-8)” (LibreOffice, Numbers) and upload it again."
)


class Kind(StrEnum):
    TYPES = "types"
    ITEMS = "items"

    @property
    def label(self) -> str:
        return (
            "Equipment types (with specifications and rates)"
            if self is Kind.TYPES
            else ("Items (by serial number)")
        )


# The columns of the equipment types CSV: what /admin/catalog/types.csv writes and the
# import reads. Specs are a JSON object (numbers, text, true/false keep their kind); the rate
# columns are the rate card form's fields (all empty: no rate card).
TYPES_CSV_HEADER = (
    "Slug",
    "Name",
    "Category",
    "Short description",
    "Description",
    "Active",
    "Specs",
    "Currency",
    "Hourly rate",
    "Daily rate",
    "Weekly rate",
    "Deposit",
    "Minimum rental (hours)",
)


@dataclass(frozen=True, slots=True)
class CsvRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]
    problems: tuple[tuple[str, str], ...] = ()  # (column, message) found while reading


def unescape(cell: str) -> str:
    """The export's formula guard undone: "'=SUM(A1)" was "=SUM(A1)"."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA):
        return cell[1:]
    return cell


def looks_like_formula(cell: str) -> bool:
    """A cell a spreadsheet would run (not a plain negative number)."""
    return cell.startswith(_FORMULA) and not _NUMBER.fullmatch(cell)


def decode(data: bytes) -> str:
    """The file's text; ValidationError (field "file") when it is empty, not text or not
    UTF-8."""
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ValidationError("The file is empty: there is nothing to import.", field="file")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            "This is a spreadsheet workbook (.xlsx/.xls), not a CSV file. " + _SAVE_AS,
            field="file",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError("The file is UTF-16 text, not UTF-8. " + _SAVE_AS, field="file")
    if b"\x00" in data:
        raise ValidationError(
            "This is not a CSV file (it contains binary data). " + _SAVE_AS, field="file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"The file is not UTF-8 text (line {line} has a character in another encoding, "
            "such as Windows-1252 or Latin-1). " + _SAVE_AS,
            field="file",
        ) from None


def read_rows(text: str, expected: Sequence[str]) -> list[CsvRow]:
    """The rows of `text` whose header has exactly the `expected` columns (in any order).
    Blank rows are skipped. ValidationError (field "file") for a file that cannot be read as
    a whole: a wrong header, no rows, more than MAX_ROWS rows, broken CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    wanted = ", ".join(expected)
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationError("The file is empty: there is nothing to import.", field="file")
        header = [h.strip() for h in header]
        _check_header(header, expected, wanted)
        rows: list[CsvRow] = []
        number = 1
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_ROWS:,} rows; import at most {MAX_ROWS:,} "
                    "at a time (split the file).",
                    field="file",
                )
            rows.append(_row(number, header, record))
    except csv.Error as exc:
        raise ValidationError(
            f"Row {number if header else 1} is not readable CSV ({exc}). " + _SAVE_AS,
            field="file",
        ) from None
    if not rows:
        raise ValidationError(
            "The file has the header but no rows: there is nothing to import.", field="file"
        )
    return rows


def _check_header(header: list[str], expected: Sequence[str], wanted: str) -> None:
    if len(header) == 1 and ";" in header[0]:
        raise ValidationError(
            "The columns are separated by semicolons; use commas. The first line must be: "
            f"{wanted}",
            field="file",
        )
    seen: set[str] = set()
    twice = [h for h in header if h in seen or seen.add(h)]  # type: ignore[func-returns-value]
    if twice:
        raise ValidationError(
            f"The column “{twice[0]}” appears more than once. The first line must be: {wanted}",
            field="file",
        )
    missing = [c for c in expected if c not in seen]
    unknown = [h for h in header if h not in expected]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(f"“{c}”" for c in missing))
        if unknown:
            parts.append("not known: " + ", ".join(f"“{c or '(blank)'}”" for c in unknown))
        raise ValidationError(
            f"The columns are not the expected ones ({'; '.join(parts)}). The first line must "
            f"be: {wanted}",
            field="file",
        )


def _row(number: int, header: list[str], record: list[str]) -> CsvRow:
    problems: list[tuple[str, str]] = []
    if len(record) != len(header):
        problems.append(
            ("", f"The row has {len(record)} cells; the header has {len(header)} columns.")
        )
    cells: dict[str, str] = {}
    for column, raw in zip(header, record + [""] * (len(header) - len(record)), strict=False):
        if looks_like_formula(raw):
            problems.append(
                (
                    column,
                    f"“{raw[:40]}” looks like a spreadsheet formula; if it is meant as text, "
                    "start it with an apostrophe (').",
                )
            )
        cells[column] = unescape(raw)
    return CsvRow(number, cells, tuple(problems))

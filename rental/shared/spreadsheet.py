"""CSV for spreadsheets: cells that cannot turn into formulas, and downloads streamed a row at
a time (UTF-8 with a byte-order mark, so Excel reads the accents right).

Every CSV download of the app goes through here (the invoice list, CRM's exports)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

from rental.shared.money import Money

BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# A plain negative number (a refund, a credit note) is no formula: it stays a number.
_NUMBER = re.compile(r"-\d+(\.\d+)?")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab / carriage
    return) would be read as a formula, so it gets a leading apostrophe — except a plain
    negative number like -5.00, which a spreadsheet must still add up."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_money(money: Money) -> str:
    """An amount as every export writes it: rounded half-up to the currency's minor unit
    (85.00, never the stored 85.0000), no symbol (the currency has its own column)."""
    return str(money.rounded().amount)


def csv_lines(header: Sequence[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The BOM and the header, then one CSV line per row as it is read (never the whole
    file in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[object]) -> str:
        writer.writerow([csv_cell(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Iterable[object]]
) -> Response:
    """A streamed attachment: `rows` is read while the response is sent (inside the request,
    so a generator over a database query keeps its session)."""
    # mimetype text/csv: Werkzeug adds "; charset=utf-8" (what the generator's str encode to)
    response = Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response

"""The CSV helper every download uses: cells a spreadsheet would run as formulas become text,
lines come one at a time (the rows are not read before the first is sent), a BOM leads."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Flask

from rental.shared.money import Money
from rental.shared.spreadsheet import BOM, csv_cell, csv_download, csv_lines, csv_money


def test_formula_cells_get_an_apostrophe_and_others_stay_as_they_are():
    for risky in ("=1+1", "+49 30 1", "-5+A1", "-A1", "-2-3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(risky) == "'" + risky
    # a negative amount (a refund, a credit note) stays a number the sheet can add up
    for plain in ("Rüttelplatte", "a=b", "", "12.50", "O-0001", "-5", "-5.00", "-1234.5"):
        assert csv_cell(plain) == plain
    assert csv_cell(None) == ""
    assert csv_cell(42) == "42"


def test_lines_are_made_as_the_rows_are_read():
    read: list[int] = []

    def rows():
        for n in range(3):
            read.append(n)
            yield (n, f"=cell {n}", 'say "hi", then go')

    lines = csv_lines(("n", "formula", "quoted"), rows())
    assert next(lines) == BOM + "n,formula,quoted\r\n"
    assert read == []  # the header costs no row
    assert next(lines) == '0,\'=cell 0,"say ""hi"", then go"\r\n'
    assert read == [0]
    rest = list(lines)
    assert len(rest) == 2 and read == [0, 1, 2]


def test_the_download_is_a_streamed_utf8_attachment():
    app = Flask(__name__)
    with app.test_request_context():
        response = csv_download("x.csv", ("name",), iter([("Zoë",), ("+1",)]))
        assert response.is_streamed
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
        data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [
        ["name"],
        ["Zoë"],
        ["'+1"],
    ]


def test_money_is_written_with_the_currencys_minor_unit():
    assert csv_money(Money(Decimal("85.0000"), "EUR")) == "85.00"
    assert csv_money(Money(Decimal("13.3450"), "EUR")) == "13.35"  # half-up, once
    assert csv_money(Money(Decimal("-5.5"), "EUR")) == "-5.50"
    assert csv_cell(csv_money(Money(Decimal("-5.5"), "EUR"))) == "-5.50"  # still a number

"""Privacy: each module contributes its own part of a customer's data export, and says whether
the shop must keep records of a customer (so the customer may not be deleted).

A module registers `register_exporter("reservations", fn)` where fn(customer_id) returns
JSON-ready data; the customers module assembles the export without importing anyone.

A module that keeps records the shop must keep (orders, payments, invoices) registers
`register_history_check("orders", fn)` where fn(customer_id) returns what it keeps in a few
words ("3 orders", "invoices") or None; Customers refuses to delete a customer with any such
history (anonymise instead) without importing the modules that answer.

ANONYMISED_TEXT replaces free text about a customer (a cancellation reason, a damage note, a
payment reference) when they are anonymised, so staff see why the text is gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ANONYMISED_TEXT = "[removed: customer anonymised]"

Exporter = Callable[[str], Any]
HistoryCheck = Callable[[str], str | None]
_EXPORTERS: dict[str, Exporter] = {}
_HISTORY_CHECKS: dict[str, HistoryCheck] = {}


def register_exporter(section: str, exporter: Exporter) -> None:
    _EXPORTERS[section] = exporter


def exporters() -> list[tuple[str, Exporter]]:
    return sorted(_EXPORTERS.items())


def register_history_check(name: str, check: HistoryCheck) -> None:
    _HISTORY_CHECKS[name] = check


def history_of(customer_id: str) -> list[str]:
    """What the modules keep about the customer that the shop must keep (e.g. ["3 orders",
    "invoices"]); empty when the customer may be deleted. Runs in the caller's session."""
    found = (check(customer_id) for _, check in sorted(_HISTORY_CHECKS.items()))
    return [what for what in found if what]

"""Privacy export: each module contributes its own part of a customer's data.

A module registers `register_exporter("reservations", fn)` where fn(customer_id) returns
JSON-ready data; the customers module assembles the export without importing anyone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Exporter = Callable[[str], Any]
_EXPORTERS: dict[str, Exporter] = {}


def register_exporter(section: str, exporter: Exporter) -> None:
    _EXPORTERS[section] = exporter


def exporters() -> list[tuple[str, Exporter]]:
    return sorted(_EXPORTERS.items())

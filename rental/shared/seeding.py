"""Demo-data seeders contributed by modules, run in registration order by `flask seed-demo`."""

from __future__ import annotations

from collections.abc import Callable

_SEEDERS: dict[str, Callable[[], None]] = {}


def register_seeder(name: str, func: Callable[[], None]) -> None:
    _SEEDERS[name] = func


def seeders() -> list[tuple[str, Callable[[], None]]]:
    return list(_SEEDERS.items())

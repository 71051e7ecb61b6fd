"""Periodic jobs hosted by the worker process. A module adds one with a single line:

register_job("booking.expire_holds", expire_stale_holds, seconds=60)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    func: Callable[[], object] = field(compare=False)
    seconds: float


_JOBS: dict[str, PeriodicJob] = {}


def register_job(name: str, func: Callable[[], object], *, seconds: float) -> None:
    _JOBS[name] = PeriodicJob(name, func, seconds)


def periodic_jobs() -> list[PeriodicJob]:
    return list(_JOBS.values())

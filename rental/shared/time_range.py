"""TimeRange: a half-open interval [start, end) of timezone-aware instants, kept in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rental.shared.errors import ValidationError


def to_utc(moment: datetime, field: str = "time") -> datetime:
    """Normalise an aware datetime to UTC; naive datetimes are refused (their zone is a guess)."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValidationError(f"The {field} must include a time zone.", field=field)
    return moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = to_utc(self.start, "start")
        end = to_utc(self.end, "end")
        if end <= start:
            raise ValidationError("The end must be after the start.", field="end")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def of(cls, start: datetime, duration: timedelta) -> TimeRange:
        return cls(start, start + duration)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: TimeRange) -> bool:
        # Half-open: back-to-back ranges ([9,12) and [12,15)) do not overlap.
        return self.start < other.end and other.start < self.end

    def contains(self, item: datetime | TimeRange) -> bool:
        if isinstance(item, TimeRange):
            return self.start <= item.start and item.end <= self.end
        moment = to_utc(item)
        return self.start <= moment < self.end

    def expanded(
        self, before: timedelta = timedelta(0), after: timedelta = timedelta(0)
    ) -> TimeRange:
        return TimeRange(self.start - before, self.end + after)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> TimeRange:
        return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]))

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"

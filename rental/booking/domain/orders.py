"""Orders: one or more lines booked together for one period under one reference. A line is an
equipment type or a kit, and a quantity; a kit line books its components. Pure rules — what
an order may hold, what it asks of each equipment type, and which lines do not fit what is
free (every line judged with the other lines' demand counted, so two lines sharing a type, or
a kit holding a type that is also a line, are never both told they fit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rental.shared.errors import ConflictError, ValidationError

MAX_LINES = 20
MAX_LINE_QUANTITY = 999


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order (or of a cart before it is one): an equipment type or a kit, and
    how many."""

    quantity: int
    equipment_type_id: str | None = None
    kit_id: str | None = None

    def __post_init__(self) -> None:
        if (self.equipment_type_id is None) == (self.kit_id is None):
            raise ValueError("an order line is an equipment type or a kit, not both or neither")

    @property
    def key(self) -> tuple[str, str]:
        """("type" | "kit", its ID): a cart holds each at most once."""
        if self.kit_id is not None:
            return ("kit", self.kit_id)
        assert self.equipment_type_id is not None
        return ("type", self.equipment_type_id)


@dataclass(frozen=True, slots=True)
class Need:
    """What one unit of a line takes of an equipment type (a type line: 1 of itself; a kit
    line: each component's quantity)."""

    equipment_type_id: str
    per_unit: int


@dataclass(frozen=True, slots=True)
class LineDemand:
    quantity: int
    needs: tuple[Need, ...]


def check_lines(lines: Sequence[OrderLine]) -> list[OrderLine]:
    """At least one line and at most MAX_LINES, each type or kit once, 1–999 of it."""
    if not lines:
        raise ValidationError("Add at least one item to the booking.", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(f"A booking holds at most {MAX_LINES} lines.", field="lines")
    keys = [line.key for line in lines]
    if len(set(keys)) != len(keys):
        raise ValidationError("Each item appears once; change its quantity instead.", field="lines")
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise ValidationError(
                f"Quantities are whole numbers from 1 to {MAX_LINE_QUANTITY}.", field="quantity"
            )
    return list(lines)


def demand_by_type(lines: Sequence[LineDemand], skip: int | None = None) -> dict[str, int]:
    """Units of each equipment type the lines take together (without line `skip`)."""
    total: dict[str, int] = {}
    for index, line in enumerate(lines):
        if index == skip:
            continue
        for need in line.needs:
            total[need.equipment_type_id] = (
                total.get(need.equipment_type_id, 0) + line.quantity * need.per_unit
            )
    return total


def free_for_line(lines: Sequence[LineDemand], index: int, free: Mapping[str, int]) -> int:
    """How many of line `index` fit into what is free once the other lines took theirs."""
    others = demand_by_type(lines, skip=index)
    needs = lines[index].needs
    if not needs:
        return 0
    return max(
        0,
        min(
            (free.get(n.equipment_type_id, 0) - others.get(n.equipment_type_id, 0)) // n.per_unit
            for n in needs
        ),
    )


def shortages(lines: Sequence[LineDemand], free: Mapping[str, int]) -> dict[int, int]:
    """The lines that do not fit (index → how many of that line would fit), judged each with
    the others' demand counted; empty when the whole order fits."""
    demand = demand_by_type(lines)
    over = {t for t, units in demand.items() if units > free.get(t, 0)}
    if not over:
        return {}
    return {
        index: free_for_line(lines, index, free)
        for index, line in enumerate(lines)
        if any(n.equipment_type_id in over for n in line.needs)
    }


class OrderShort(ConflictError):
    """The order does not fit: nothing was written. `short`: line index → how many of that
    line are free (the other lines counted)."""

    def __init__(self, message: str, short: Mapping[int, int]) -> None:
        super().__init__(message)
        self.short = dict(short)

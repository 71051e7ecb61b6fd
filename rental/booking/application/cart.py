"""The cart, read side: every line of a cart (equipment types and kits) checked at once for one
shared period — how many of each line fit with the other lines counted, its price, what is
possible when it is short — before checkout turns it into an order. Nothing here writes or
holds anything; the cart itself lives in the visitor's session (rental/booking/web/cart.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rental.booking.application.commands import freeze
from rental.booking.application.queries import AvailabilityQueries, CheckAvailability
from rental.booking.domain.models import FrozenQuote, PricingBasis
from rental.booking.domain.orders import (
    MAX_LINE_QUANTITY,
    LineDemand,
    Need,
    OrderLine,
    demand_by_type,
    free_for_line,
    shortages,
)
from rental.catalog import CatalogFacade, KitDetails
from rental.shared.errors import DomainError, NotFoundError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange, utcnow

GONE = "No longer offered: remove it from your booking."
NO_PRICE = "No price yet: ask us."


@dataclass(frozen=True, slots=True)
class CheckCart:
    period: TimeRange
    basis: PricingBasis
    lines: tuple[OrderLine, ...]
    with_alternatives: bool = True
    # Staff's order form for a chosen customer: priced with their loyalty discount (the
    # online cart is an anonymous visitor's: none).
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class CartLineAlternatives:
    """What is possible for a short line: the quantity that fits with the other lines as they
    are (0: none), and for a type line the earliest period (same length) when the asked
    quantity fits alongside the other lines' use of that type."""

    max_quantity: int
    earliest_period: TimeRange | None = None


@dataclass(frozen=True, slots=True)
class CartLineCheck:
    index: int
    kind: str  # "type" | "kit"
    id: str
    name: str
    slug: str
    quantity: int
    free_for_line: int
    fits: bool
    quotes: tuple[FrozenQuote, ...] = ()  # one per type line; one per component of a kit
    total: Money | None = None
    deposit: Money | None = None
    problem: str | None = None
    gone: bool = False  # its type or kit is no longer offered (shown with a remove button)
    parts: tuple[tuple[int, str], ...] = ()  # a kit: (units per kit, component name)
    alternatives: CartLineAlternatives | None = None

    @property
    def short(self) -> bool:
        return not self.fits and self.problem is None


@dataclass(frozen=True, slots=True)
class CartCheck:
    period: TimeRange
    basis: PricingBasis
    lines: tuple[CartLineCheck, ...]
    total: Money | None
    deposit: Money | None

    @property
    def fits(self) -> bool:
        """Every line can be booked as it is (and there is at least one)."""
        return bool(self.lines) and all(line.fits for line in self.lines)


@dataclass
class _Resolved:
    kind: str
    id: str
    name: str = ""
    slug: str = ""
    needs: tuple[Need, ...] = ()
    kit: KitDetails | None = None
    gone: bool = False


def _add(a: Money | None, b: Money | None) -> Money | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


class CartQueries:
    def __init__(
        self,
        availability: AvailabilityQueries,
        catalog: CatalogFacade,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._availability = availability
        self._catalog = catalog
        self._clock = clock

    def check(self, query: CheckCart) -> CartCheck:
        """Every line against what is free for the period: one read of the free units for all
        the lines' types (kits counted as their components), each line judged with the other
        lines' demand counted. The period's own problems (past, too long, outside opening
        hours) are a ValidationError naming the field, as for one type."""
        self._check_period(query.period, query.basis)
        resolved = self._resolve(query.lines)
        demands = [
            LineDemand(line.quantity, r.needs)
            for line, r in zip(query.lines, resolved, strict=True)
        ]
        type_ids = [n.equipment_type_id for r in resolved for n in r.needs]
        free_units = self._availability.free_units(type_ids, query.period, query.basis)
        free = {type_id: answer.free for type_id, answer in free_units.items()}
        short = shortages(demands, free)
        now = self._clock()
        checks: list[CartLineCheck] = []
        total: Money | None = None
        deposit: Money | None = None
        for index, (line, r) in enumerate(zip(query.lines, resolved, strict=True)):
            if r.gone:
                checks.append(
                    CartLineCheck(
                        index, r.kind, r.id, r.name, r.slug, line.quantity, 0, False,
                        problem=GONE, gone=True,
                    )
                )  # fmt: skip
                continue
            problem = next(
                (
                    free_units[n.equipment_type_id].problem
                    for n in r.needs
                    if free_units[n.equipment_type_id].problem
                ),
                None,
            )
            quotes, problem = self._price(
                r, line.quantity, query.period, problem, query.customer_id
            )
            line_total = line_deposit = None
            for quote in quotes:
                line_total = _add(line_total, quote.total)
                line_deposit = _add(line_deposit, quote.deposit)
            total, deposit = _add(total, line_total), _add(deposit, line_deposit)
            room = short.get(index, free_for_line(demands, index, free))
            fits = problem is None and index not in short
            alternatives = None
            if problem is None and not fits and query.with_alternatives:
                alternatives = self._alternatives(query, demands, index, r, room, now)
            checks.append(
                CartLineCheck(
                    index=index,
                    kind=r.kind,
                    id=r.id,
                    name=r.name,
                    slug=r.slug,
                    quantity=line.quantity,
                    free_for_line=room,
                    fits=fits,
                    quotes=tuple(quotes),
                    total=line_total,
                    deposit=line_deposit,
                    problem=problem,
                    parts=tuple((ln.quantity, ln.name) for ln in r.kit.lines) if r.kit else (),
                    alternatives=alternatives,
                )
            )
        return CartCheck(query.period, query.basis, tuple(checks), total, deposit)

    # --- the parts ----------------------------------------------------------------------------

    def _check_period(self, period: TimeRange, basis: PricingBasis) -> None:
        self._availability.check_period(period, basis)
        if basis is PricingBasis.HOURLY:
            # Hourly bookings are picked up and brought back while the shop is open.
            problem = self._availability.opening_hours().problem(
                period, self._availability.policy.timezone
            )
            if problem:
                raise ValidationError(problem[1], field=problem[0])

    def _resolve(self, lines: tuple[OrderLine, ...]) -> list[_Resolved]:
        """Each line's name, address and needs: the types in one read, each kit in one; a type
        or kit that is gone or hidden from visitors comes back `gone` (never an error)."""
        type_ids = [line.equipment_type_id for line in lines if line.equipment_type_id]
        summaries = self._catalog.get_equipment_type_summaries(type_ids) if type_ids else {}
        resolved: list[_Resolved] = []
        for line in lines:
            if line.equipment_type_id is not None:
                summary = summaries.get(line.equipment_type_id)
                if summary is None or not summary.active:
                    resolved.append(
                        _Resolved(
                            "type",
                            line.equipment_type_id,
                            summary.name if summary else "This item",
                            summary.slug if summary else "",
                            gone=True,
                        )
                    )
                    continue
                needs = (Need(summary.id, 1),)
                resolved.append(_Resolved("type", summary.id, summary.name, summary.slug, needs))
                continue
            assert line.kit_id is not None
            try:
                kit = self._catalog.get_kit(line.kit_id)
            except NotFoundError:
                resolved.append(_Resolved("kit", line.kit_id, "This kit", "", gone=True))
                continue
            if not kit.public:
                resolved.append(_Resolved("kit", kit.id, kit.name, kit.slug, gone=True))
                continue
            needs = tuple(Need(ln.equipment_type_id, ln.quantity) for ln in kit.lines)
            resolved.append(_Resolved("kit", kit.id, kit.name, kit.slug, needs, kit))
        return resolved

    def _price(
        self,
        r: _Resolved,
        quantity: int,
        period: TimeRange,
        problem: str | None,
        customer_id: str | None = None,
    ) -> tuple[list[FrozenQuote], str | None]:
        """A type line: its quote. A kit line: each component's quote for kits × units per
        kit, by the kit's rule (AvailabilityQueries.kit_quotes, as booking prices it). No
        quotes, and the reason, when one cannot be priced."""
        if problem == NO_PRICE:
            return [], problem
        quotes: list[FrozenQuote] = []
        try:
            if r.kit is None:
                quotes.append(freeze(self._availability.price(r.id, period, quantity, customer_id)))
            else:

                def price(type_id: str, units: int) -> FrozenQuote:
                    return freeze(self._availability.price(type_id, period, units))

                quotes = self._availability.kit_quotes(r.kit, quantity, period, price, customer_id)
        except DomainError as exc:
            return [], problem or exc.message
        return quotes, problem

    def _alternatives(
        self,
        query: CheckCart,
        demands: list[LineDemand],
        index: int,
        r: _Resolved,
        room: int,
        now: datetime,
    ) -> CartLineAlternatives:
        quantity = query.lines[index].quantity
        fewer = room if room < quantity else 0
        earliest = None
        if r.kit is None and quantity <= MAX_LINE_QUANTITY:
            # The same length later, when this line and the other lines' use of its type fit.
            others = demand_by_type(demands, skip=index).get(r.id, 0)
            probe = CheckAvailability(r.id, query.period, quantity + others, query.basis)
            earliest = self._availability._earliest(probe, now)  # the same module
            if earliest == query.period:
                earliest = None
        return CartLineAlternatives(fewer, earliest)

"""GET /api/v1/availability (public): an equipment type or a kit, a period and a quantity → the
answer the availability page gives, through the same Booking calls:

- the period is parsed by Booking's own form rules (`parse_carried`: ISO 8601 with an offset,
  a local time in the shop's zone, or dates for daily), so its messages are the page's;
- a type: `check_availability(CheckAvailability(...))`, as /book/<slug> does — the rules of a
  booking (start, horizon, longest rental, opening hours, its minimum rental, a price), free
  units, the quote and, when short, the alternatives the page offers (fewer, later, similar);
- a kit: `check_cart(CheckCart(...))` with the kit as its one line, as the cart does for a kit
  (free whole kits, the kit's price rule, fewer when short).

A bad period or a type/kit that cannot be booked online for it → 422 problem, field by field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response

from rental.api.web.catalog import KIT_GONE, TYPE_GONE
from rental.api.web.core import PUBLIC, bp, operation
from rental.api.web.helpers import json_response, money
from rental.api.web.problems import ApiProblem
from rental.api.web.root import LINKS
from rental.api.web.schemas.availability import (
    AlternativesOut,
    AvailabilityItem,
    AvailabilityOut,
    AvailabilityQuery,
    PriceLineOut,
    QuoteOut,
    SimilarOut,
    SlotPeriodOut,
)
from rental.booking import (
    BookingFacade,
    BookingRequest,
    CheckAvailability,
    CheckCart,
    OrderLine,
    PricingBasis,
    parse_carried,
)
from rental.catalog import CatalogFacade
from rental.shared.db import reads_only
from rental.shared.errors import ValidationError
from rental.shared.time_range import TimeRange
from rental.shared.web import format_period

LINKS["availability"] = "/api/v1/availability"

# The form's field names → the API's parameters.
FIELDS = {"start_date": "start", "end_date": "end"}


def _invalid(errors: dict[str, str], detail: str | None = None) -> ApiProblem:
    items = [{"field": FIELDS.get(k, k), "message": v} for k, v in errors.items()]
    return ApiProblem(
        422,
        detail
        or (
            items[0]["message"]
            if len(items) == 1
            else "Some of what you sent is not valid; see `errors`."
        ),
        slug="validation",
        errors=items,
    )


def _request(query: AvailabilityQuery, booking: BookingFacade) -> BookingRequest:
    """The period and quantity parsed as the availability form parses them."""
    start, end = query.start.strip(), (query.end or "").strip()
    basis = query.basis or ("daily" if len(start) == 10 and "T" not in start else "hourly")
    if basis == "daily":
        args = {"basis": basis, "start_date": start, "end_date": end}
    else:
        args = {"basis": basis, "start": start, "end": end}
    args["quantity"] = str(query.quantity)
    req = parse_carried(args, booking.policy, booking.now())
    if req is None:  # no date at all (a blank start)
        raise _invalid({"start": "Enter the start of the period."})
    if req.errors or req.period is None:
        raise _invalid(req.errors or {"start": "Enter the period."})
    return req


def _period(period: TimeRange, booking: BookingFacade) -> SlotPeriodOut:
    tz = booking.policy.timezone
    return SlotPeriodOut(
        start=period.start.astimezone(tz).isoformat(),
        end=period.end.astimezone(tz).isoformat(),
        text=format_period(period),
    )


def _lines(lines: Iterable[Any]) -> list[PriceLineOut]:
    return [PriceLineOut(label=line.label, amount=money(line.amount)) for line in lines]


def _quote(quotes: list[Any]) -> QuoteOut | None:
    """One quote (a type's), or a kit's components' quotes added up."""
    if not quotes:
        return None
    subtotal, total, deposit = quotes[0].subtotal, quotes[0].total, quotes[0].deposit
    for quote in quotes[1:]:
        subtotal, total, deposit = (
            subtotal + quote.subtotal,
            total + quote.total,
            deposit + quote.deposit,
        )
    return QuoteOut(
        lines=_lines(line for quote in quotes for line in quote.lines),
        subtotal=money(subtotal),
        discounts=_lines(line for quote in quotes for line in quote.discounts),
        total=money(total),
        deposit=money(deposit),
        notes=list(dict.fromkeys(note for quote in quotes for note in quote.notes)),
    )


def _basis(basis: PricingBasis) -> str:
    return "daily" if basis is PricingBasis.DAILY else "hourly"


def _type_answer(slug: str, req: BookingRequest, booking: BookingFacade) -> AvailabilityOut:
    details = CatalogFacade().get_equipment_type_by_slug(slug)
    if not details.active:
        raise ApiProblem(404, TYPE_GONE)
    assert req.period is not None
    try:
        result = booking.check_availability(
            CheckAvailability(details.id, req.period, req.qty, req.basis)
        )
    except ValidationError as exc:
        raise _invalid(exc.errors or {"equipment_type": exc.message}, exc.message) from None
    alternatives = None
    if result.alternatives is not None:
        alt = result.alternatives
        # What the page offers (booking.web.journey._suggestions).
        alternatives = AlternativesOut(
            fewer=alt.max_quantity if 0 < alt.max_quantity < req.qty else None,
            later=_period(alt.earliest_period, booking) if alt.earliest_period else None,
            similar=[
                SimilarOut(slug=o.slug, name=o.name, remaining_capacity=o.remaining_capacity)
                for o in alt.similar
            ],
        )
    return AvailabilityOut(
        item=AvailabilityItem(
            kind="equipment_type", id=details.id, slug=details.slug, name=details.name
        ),
        period=_period(result.period, booking),
        basis=_basis(result.basis),  # type: ignore[arg-type]
        quantity=result.quantity,
        available=result.is_available,
        remaining_capacity=result.remaining_capacity,
        total_capacity=result.total_capacity,
        needs_approval=result.needs_approval,
        quote=_quote([result.quote] if result.quote else []),
        alternatives=alternatives,
    )


def _kit_answer(slug: str, req: BookingRequest, booking: BookingFacade) -> AvailabilityOut:
    kit = CatalogFacade().get_kit_by_slug(slug)
    if not kit.public:
        raise ApiProblem(404, KIT_GONE)
    assert req.period is not None
    try:
        check = booking.check_cart(
            CheckCart(req.period, req.basis, (OrderLine(req.qty, kit_id=kit.id),))
        )
    except ValidationError as exc:
        raise _invalid(exc.errors or {"kit": exc.message}, exc.message) from None
    line = check.lines[0]
    if line.problem:  # no price yet, shorter than a component's minimum rental
        raise _invalid({"kit": line.problem}, line.problem)
    alternatives = None
    if not line.fits:
        fewer = line.alternatives.max_quantity if line.alternatives else 0
        alternatives = AlternativesOut(fewer=fewer or None, later=None, similar=[])
    return AvailabilityOut(
        item=AvailabilityItem(kind="kit", id=kit.id, slug=kit.slug, name=kit.name),
        period=_period(check.period, booking),
        basis=_basis(check.basis),  # type: ignore[arg-type]
        quantity=line.quantity,
        available=line.fits,
        remaining_capacity=line.free_for_line,
        total_capacity=None,
        needs_approval=False,
        quote=_quote(list(line.quotes)),
        alternatives=alternatives,
    )


@bp.get("/availability")
@reads_only  # as the page's answer: on PostgreSQL no BEGIN and no ROLLBACK round trip
@operation(
    PUBLIC, query=AvailabilityQuery, ok=AvailabilityOut, errors=(404,), tags=["availability"]
)
def availability(query: AvailabilityQuery) -> Response:
    """Is an equipment type (`equipment_type`) or a kit (`kit`) free for a period? The
    availability page's answer: free or not, how many are free, the price and, when short, the
    alternatives it offers. A bad period → 422 with the page's message per field."""
    given = {"equipment_type": query.equipment_type, "kit": query.kit}
    named = {name: value.strip() for name, value in given.items() if value and value.strip()}
    if len(named) != 1:
        message = "Name one equipment type (`equipment_type`) or one kit (`kit`)."
        raise _invalid({name: message for name in (named or given)}, message)
    booking = BookingFacade()
    req = _request(query, booking)
    if "kit" in named:
        body = _kit_answer(named["kit"], req, booking)
    else:
        body = _type_answer(named["equipment_type"], req, booking)
    return json_response(body)

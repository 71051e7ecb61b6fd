"""BookingFacade: the only entry point to the Booking module for other modules and the web.
Wiring, one transaction per command, nothing else — the rules are in domain/ and application/."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context

from rental.booking import manage_links
from rental.booking.application.cart import CartCheck, CartQueries, CheckCart
from rental.booking.application.commands import (
    AddOrderLine,
    BookOnline,
    BookOrderForCustomer,
    BookOrderOnline,
    CancelReservation,
    ChangeReservation,
    ChangeReservationType,
    Clock,
    ConfirmReservation,
    CounterCommands,
    CreateReservation,
    HandOver,
    OnlineBooking,
    PlaceOrder,
    ReservationCommands,
    StaffOrder,
    TakeBack,
)
from rental.booking.application.deposits import DepositGate
from rental.booking.application.late_returns import LateFeeChoice, LateReturns, ReturnOutcome
from rental.booking.application.queries import (
    AvailabilityQueries,
    AvailabilityResult,
    ChangePreview,
    CheckAvailability,
    CustomerActions,
    DailyUtilisation,
    ExportedOrder,
    FreeUnits,
    ReservationPage,
    ReservationQueries,
    StaffActions,
    SwapOption,
    UsagePoint,
)
from rental.booking.domain.models import Order, PricingBasis, Reservation, ReservationStatus
from rental.booking.domain.policy import BookingPolicy
from rental.booking.infrastructure.repositories import ListReservations, ReservationRepository
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.inventory import BookedDemand, InventoryFacade
from rental.payments import CancellationPreview, LateFee, PaymentsFacade, check_waiver
from rental.pricing import PricingFacade
from rental.shared.db import unit_of_work
from rental.shared.errors import ConflictError, NotFoundError
from rental.shared.time_range import TimeRange, utcnow
from rental.shop import OpeningHours, ShopFacade


class BookingFacade:
    def __init__(self, policy: BookingPolicy | None = None, clock: Clock | None = None) -> None:
        """`clock`: the time every booking decision is made at (tests pass their own, or set
        `app.extensions["booking.clock"]` for the pages); the real time by default."""
        settings: Any = current_app.config if has_app_context() else {}
        extensions: Any = current_app.extensions if has_app_context() else {}
        clock = clock or extensions.get("booking.clock") or utcnow
        self.now = clock
        self.policy = policy or BookingPolicy.from_settings(settings)
        catalog = CatalogFacade()
        inventory = InventoryFacade(catalog)
        customers = CustomerFacade()
        reservations = ReservationRepository()
        self._availability = AvailabilityQueries(
            reservations,
            catalog,
            inventory,
            PricingFacade(catalog),
            self.policy,
            clock,
            shop=ShopFacade(),
        )
        self._queries = ReservationQueries(
            reservations, self._availability, inventory, customers, clock=clock
        )
        self._commands = ReservationCommands(
            reservations, self._availability, customers, self.policy.hold_minutes, clock=clock
        )
        self._online = OnlineBooking(customers, self._commands)
        self._counter = CounterCommands(
            self._commands,
            inventory,
            fees=PaymentsFacade().part_cancellation_quote,
            clock=clock,
            deposits=DepositGate(PaymentsFacade(), self._queries.get_order),
        )
        self._staff_order = StaffOrder(customers, self._commands)

    @property
    def commands(self) -> ReservationCommands:
        """The reservation commands on the current session (the event handlers use them)."""
        return self._commands

    # --- queries ----------------------------------------------------------------------------

    def opening_hours(self) -> OpeningHours:
        """The shop's hours: hourly bookings start and end within them."""
        return self._availability.opening_hours()

    def check_availability(self, query: CheckAvailability) -> AvailabilityResult:
        return self._availability.check(query)

    def check_cart(self, query: CheckCart) -> CartCheck:
        """Every line of a cart (types and kits) checked for one period: free with the other
        lines counted, price, alternatives for a short line. ValidationError for the period."""
        return CartQueries(self._availability, CatalogFacade(), self.now).check(query)

    def check_period(self, period: TimeRange, basis: PricingBasis) -> None:
        """The period rules every type shares; ValidationError naming the field."""
        self._availability.check_period(period, basis)

    def free_units(
        self, equipment_type_ids: Iterable[str], period: TimeRange, basis: PricingBasis
    ) -> dict[str, FreeUnits]:
        """Per type: how many units are free for the whole period (as check_availability
        counts them) and whether it can be booked online for it — a handful of statements
        however many types (the catalog's cards for a period)."""
        return self._availability.free_units(equipment_type_ids, period, basis)

    def get_reservation(self, reservation_id: str) -> Reservation:
        return self._queries.get(reservation_id)

    def get_order(self, order_id: str) -> Order:
        return self._queries.get_order(order_id)

    def get_order_by_reference(self, reference: str) -> Order:
        """Staff and the API: the order with this reference (NotFoundError otherwise)."""
        return self._queries.get_order_by_reference(reference)

    def get_order_for_customer(self, reference: str, token: str) -> Order:
        """The order behind a manage link; NotFoundError when reference or token is wrong.
        `token` is the raw manage token or a signed link (manage_links, from an e-mail)."""
        order = self._signed_order(reference, token)
        if order is not None:
            return order
        return self._queries.order_for_customer_link(reference, token)

    def get_reservation_for_customer(self, reference: str, token: str) -> Reservation:
        order = self._signed_order(reference, token)
        if order is not None:
            return next((r for r in order.lines if r.reference == reference), order.first)
        return self._queries.for_customer_link(reference, token)

    def signed_manage_token(self, order_id: str) -> str:
        """The private part of a manage link for `order_id` that Booking can check without the
        raw token (signed with SECRET_KEY, expiring): what e-mails sent later carry."""
        return manage_links.sign(current_app.config["SECRET_KEY"], order_id)

    def _signed_order(self, reference: str, token: str) -> Order | None:
        if not has_app_context():
            return None
        config = current_app.config
        order_id = manage_links.order_id_of(
            config["SECRET_KEY"],
            token,
            int(config.get("MANAGE_LINK_MAX_AGE_DAYS", manage_links.DEFAULT_MAX_AGE_DAYS)),
        )
        if order_id is None:
            return None
        try:
            order = self._queries.get_order(order_id)
        except NotFoundError:
            return None
        if reference != order.reference and all(r.reference != reference for r in order.lines):
            return None
        return order

    def may_book_again(self, reservation: Reservation) -> bool:
        """Whether an expired booking's dates can be offered again as they were."""
        return self._queries.may_book_again(reservation)

    def list_reservations(self, query: ListReservations) -> ReservationPage:
        return self._queries.list(query)

    def export_lines(self, query: ListReservations) -> Iterator[list[tuple[Reservation, str]]]:
        """Every line `list_reservations` finds (page ignored) with its order's reference, read
        a batch at a time once iterated — on the session of the context iterating them (a
        streamed response's request, which outlives the view's)."""

        def batches() -> Iterator[list[tuple[Reservation, str]]]:
            yield from self._queries.stream_lines(query)

        return batches()

    def export_orders(self, query: ListReservations) -> Iterator[ExportedOrder]:
        """The orders with a line `list_reservations` finds (page ignored), the newest first,
        read as `export_lines` reads."""

        def orders() -> Iterator[ExportedOrder]:
            yield from self._queries.stream_orders(query)

        return orders()

    def open_orders_of_customer(self, customer_id: str) -> list[Order]:
        """The customer's orders that are not over (a running hold, a request, confirmed, on
        hire), soonest first: what "find my booking" sends links to."""
        return self._queries.open_orders_of_customer(customer_id)

    def export_for_customer(self, customer_id: str) -> list[dict[str, Any]]:
        return self._queries.export_for_customer(customer_id)

    def history_of_customer(self, customer_id: str) -> str | None:
        """The customer's orders in words ("3 orders"); None: none (may be deleted)."""
        return self._queries.history_of_customer(customer_id)

    def orders_of_lines(self, reservation_ids: set[str]) -> dict[str, Order]:
        """Line ID → its order with all its lines (also those a list left out), for the
        lines given: two statements however many (Calendars' feeds: an order's version)."""
        return self._queries.orders_of_lines(reservation_ids)

    def references(self, reservation_ids: set[str]) -> dict[str, str]:
        return self._queries.references(reservation_ids)

    def turnaround(self, equipment_type_id: str) -> timedelta:
        return self._availability.buffer(equipment_type_id)

    def booked_demand(self, equipment_type_id: str, window: TimeRange) -> list[BookedDemand]:
        return self._queries.booked_demand(equipment_type_id, window)

    def daily_utilisation(
        self, equipment_type_ids: Iterable[str], days: Sequence[TimeRange]
    ) -> dict[str, DailyUtilisation]:
        return self._queries.daily_utilisation(equipment_type_ids, days)

    def usage_profile(self, equipment_type_id: str, window: TimeRange) -> list[UsagePoint]:
        return self._queries.usage_profile(equipment_type_id, window)

    def swap_options(self, reservation_id: str) -> list[SwapOption]:
        return self._queries.swap_options(self._queries.get(reservation_id))

    def staff_actions(
        self, reservation: Reservation, allocations: list[tuple[str, str]]
    ) -> StaffActions:
        """`allocations`: (allocation id, status) of the items held for it."""
        return self._queries.staff_actions(reservation, allocations)

    def customer_actions(self, reservation: Reservation) -> CustomerActions:
        """What the customer may do on the review and manage pages, and the cancellation
        rule in words."""
        actions = self._queries.customer_actions(reservation)
        if not actions.cancellation_rule or not (
            reservation.status.is_open or reservation.status is ReservationStatus.CONFIRMED
        ):
            return actions
        # The payment policy's cancellation fee, when there is one, in the rule's words.
        fee, fee_from = PaymentsFacade().cancellation_terms(
            reservation.period.start, reservation.total.currency
        )
        if not fee:
            return actions
        rule = self.policy.cancellation_rule(
            reservation.period,
            self.now(),
            confirmed=reservation.status is ReservationStatus.CONFIRMED,
            fee=fee,
            fee_from=fee_from,
        )
        return replace(actions, cancellation_rule=rule)

    def cancellation_preview(
        self, reservation_id: str, *, whole_order: bool
    ) -> CancellationPreview:
        """What cancelling now would cost and leave on the order's balance, by the same rule
        the cancellation charges with: the customer cancels the whole order (`whole_order`),
        staff one line (charging the fee only when they choose to: its part of the order's)."""
        reservation = self._queries.get(reservation_id)
        order = self._queries.get_order(reservation.order_id) if reservation.order_id else None
        part_of = None
        if whole_order and order is not None:
            lines = [r for r in order.lines if r.can_cancel or r.on_hire] or [order.first]
        else:
            lines, part_of = [reservation], order
        return PaymentsFacade().cancellation_preview(
            reservation.order_id or reservation.id,
            [r.id for r in lines],
            self._counter.fee_quote(lines, part_of),
        )

    def removal_preview(self, reservation_id: str) -> CancellationPreview:
        """What the customer taking this line's item (a kit: all its lines) out of its order
        now would cost and leave on the order's balance, by the rule the removal charges with."""
        reservation = self._queries.get(reservation_id)
        order = self._queries.get_order(reservation.order_id or reservation.id)
        item = self._counter.item_of(order, reservation)
        return PaymentsFacade().cancellation_preview(
            order.id, [r.id for r in item], self._counter.fee_quote(item, order)
        )

    # --- commands ---------------------------------------------------------------------------

    def create_reservation(self, cmd: CreateReservation) -> str:
        with unit_of_work():
            return self._commands.create(cmd)

    def book_online(self, cmd: BookOnline) -> str:
        """The new booking's reference."""
        with unit_of_work():
            return self._online.book(cmd)

    def book_order_online(self, cmd: BookOrderOnline) -> str:
        """A cart checked out: the new order's reference. OrderShort (a ConflictError) names
        the lines that do not fit; nothing is written then."""
        with unit_of_work():
            return self._online.book_order(cmd)

    def place_order(self, cmd: PlaceOrder) -> Order:
        """An order for a customer known by ID (staff, the API, tests)."""
        with unit_of_work():
            self._commands.check_customer(cmd.customer_id)
            return self._commands.place_order(cmd)

    def add_order_line(self, cmd: AddOrderLine) -> Order:
        """Staff: one more line for an order not under way yet (see AddOrderLine)."""
        with unit_of_work():
            return self._commands.add_line(cmd)

    def book_order_for_customer(self, cmd: BookOrderForCustomer) -> str:
        """Staff: an order of several lines for an existing or a new customer, confirmed at
        once or saved as a quote (one transaction); the new order's ID. OrderShort (a
        ConflictError) names the lines that do not fit; nothing is written then."""
        with unit_of_work():
            return self._staff_order.book(cmd)

    def discard_quote(self, order_id: str, reason: str) -> None:
        """Staff: every line of a quote cancelled, together (ConflictError when it is no
        longer a quote; nothing changes then)."""
        with unit_of_work():
            order = self._queries.get_order(order_id)
            if order.status is not ReservationStatus.QUOTED:
                raise ConflictError(f"{order.reference} is not a quote any more.")
            for line in order.lines:
                if line.status is ReservationStatus.QUOTED:
                    self._counter.cancel(CancelReservation(line.id, reason))

    def confirm_reservation(self, reservation_id: str, *, approve: bool = False) -> None:
        """Confirm a hold; staff pass `approve=True` to confirm a request."""
        with unit_of_work():
            self._commands.confirm(ConfirmReservation(reservation_id, approve))

    def cancel_reservation(
        self, reservation_id: str, reason: str, *, charge_fee: bool = False
    ) -> None:
        """Staff: refused (ConflictError, nothing changes) while equipment is out. Free,
        unless staff choose to charge the policy's cancellation fee (`charge_fee`)."""
        with unit_of_work():
            self._counter.cancel(CancelReservation(reservation_id, reason, charge_fee=charge_fee))

    def cancel_order(self, order_id: str, reason: str, *, charge_fee: bool = False) -> None:
        """Staff (the API): every line of the order still to come, in one transaction (a
        line on hire refuses all: ConflictError, nothing changes). Free unless `charge_fee`:
        then the payment policy's fee for the order, as the customer would pay it."""
        with unit_of_work():
            order = self._queries.get_order(order_id)
            self._counter.cancel(
                CancelReservation(order.first.id, reason, charge_fee=charge_fee, whole_order=True)
            )

    def cancel_by_customer(
        self, reservation_id: str, reason: str, *, seen_fee: Decimal | None = None
    ) -> None:
        """The manage link: only before the start (a hold or request at any time). The
        payment policy's fee is charged; `seen_fee`: the fee the page showed (ConflictError,
        nothing changes, when it costs something else now)."""
        with unit_of_work():
            self._counter.cancel(
                CancelReservation(reservation_id, reason, by_customer=True, seen_fee=seen_fee)
            )

    def remove_item_by_customer(
        self, reservation_id: str, reason: str, *, seen_fee: Decimal | None = None
    ) -> list[str]:
        """The manage link: one item (a line, or a kit's lines) out of an order of several,
        while the booking may still be cancelled; the references removed. Within the payment
        policy's fee window it costs the item's part of the fee; `seen_fee`: the fee the page
        showed (ConflictError, nothing changes, when it costs something else now)."""
        with unit_of_work():
            return self._counter.remove_item(
                CancelReservation(reservation_id, reason, seen_fee=seen_fee)
            )

    def cancel_open_reservations(self, reservation_ids: list[str], reason: str) -> list[str]:
        """Staff clearing open holds and requests: each in its own transaction, so one that
        was confirmed meanwhile is left alone and does not stop the others. Returns the IDs
        not cancelled."""
        refused = []
        for reservation_id in reservation_ids:
            try:
                with unit_of_work():
                    self._commands.cancel(
                        CancelReservation(reservation_id, reason, only_if_open=True)
                    )
            except (ConflictError, NotFoundError):
                refused.append(reservation_id)
        return refused

    def expire_stale_holds(self) -> int:
        with unit_of_work():
            return self._commands.expire_stale_holds()

    def flag_reservation(self, reservation_id: str, reason: str, code: str = "other") -> None:
        with unit_of_work():
            self._commands.flag(reservation_id, reason, code)

    def forget_typed_details(self, reservation_id: str) -> None:
        """Staff reviewed the details typed at booking: they are removed."""
        with unit_of_work():
            self._commands.forget_typed_details(reservation_id)

    def clear_attention(self, reservation_id: str, code: str | None = None) -> None:
        with unit_of_work():
            self._commands.clear_flag(reservation_id, code)

    def change_type(self, reservation_id: str, equipment_type_id: str) -> None:
        with unit_of_work():
            self._counter.change_type(ChangeReservationType(reservation_id, equipment_type_id))

    def preview_change(self, cmd: ChangeReservation) -> ChangePreview:
        """The change as it would be (old and new, the difference, whether it fits); nothing
        is written."""
        return self._commands.preview_change(cmd)

    def change_reservation(self, cmd: ChangeReservation) -> Reservation:
        """Change the period and/or quantity (ConflictError or ValidationError: nothing
        changes)."""
        with unit_of_work():
            return self._commands.change(cmd)

    def mark_no_show(self, reservation_id: str) -> None:
        with unit_of_work():
            self._counter.no_show(reservation_id)

    def hand_over(
        self, reservation_id: str, actor: str, confirmed_warnings: frozenset[str] = frozenset()
    ) -> None:
        """Raises NeedsConfirmation (nothing saved) when an early pick-up would leave another
        booking without a machine and `confirmed_warnings` does not confirm that."""
        with unit_of_work():
            self._counter.hand_over(HandOver(reservation_id, actor, confirmed_warnings))

    def hand_over_order(
        self, reservation_id: str, actor: str, confirmed_warnings: frozenset[str] = frozenset()
    ) -> list[str]:
        """Everything of the reservation's order that is ready goes out, in one transaction
        (see hand_over); the references handed over."""
        with unit_of_work():
            return self._counter.hand_over_order(
                HandOver(reservation_id, actor, confirmed_warnings)
            )

    def take_back(
        self,
        reservation_id: str,
        damaged: dict[str, str],
        actor: str,
        returned: set[str] | None = None,
    ) -> int:
        """Returns how many items are still out (0: the reservation is completed). A late
        return's fee is charged (return_items with the default choice)."""
        return self.return_items(reservation_id, damaged, actor, returned).still_out

    def return_items(
        self,
        reservation_id: str,
        damaged: dict[str, str],
        actor: str,
        returned: set[str] | None = None,
        late_fee: LateFeeChoice | None = None,
    ) -> ReturnOutcome:
        """The items came back; when it is the line's last, a late return's fee (past the
        end plus the grace, from the rate card) is charged — or waived with a reason — in the
        same transaction. ValidationError (field late_fee_reason) before anything is written
        when a waiver has no reason."""
        choice = late_fee or LateFeeChoice()
        check_waiver(choice.waive, choice.reason)
        with unit_of_work():
            still_out = self._counter.take_back(TakeBack(reservation_id, actor, damaged, returned))
            if still_out:
                return ReturnOutcome(still_out)
            reservation = self._queries.get(reservation_id)
            decision, problem = self.late_returns().settle(reservation, choice, actor)
            return ReturnOutcome(0, decision, problem)

    def late_returns(self) -> LateReturns:
        return LateReturns(InventoryFacade(), PaymentsFacade(), self.policy.timezone, self.now)

    def late_fee_proposal(self, reservation: Reservation) -> LateFee | None:
        """What the return form proposes for a line past its end plus the grace period."""
        return self.late_returns().proposal(reservation)

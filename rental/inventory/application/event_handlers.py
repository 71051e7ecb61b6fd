"""Every subscriber of the Inventory module: Booking's reservation events, decoded into their
contract classes by the outbox, each applied in the worker's transaction (with its inbox row)."""

from __future__ import annotations

from collections.abc import Callable

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationExpired,
    ReservationNoShow,
)
from rental.inventory.application.commands import FollowedReservationCommands
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe


def subscribe_all(follower: Callable[[], FollowedReservationCommands]) -> None:
    """`follower()` builds the handlers of Inventory's record of a reservation on the current
    session (the facade wires them)."""

    @subscribe(ReservationConfirmed, name="inventory.allocate_items")
    def allocate(event: ReservationConfirmed) -> None:
        with unit_of_work():
            follower().on_confirmed(event)

    @subscribe(ReservationChanged, name="inventory.replan_changed")
    def replan(event: ReservationChanged) -> None:
        with unit_of_work():
            follower().on_changed(event)

    # The inbox names below are kept from before events were typed: renaming them would
    # deliver already-handled messages again.
    for event_class in (ReservationCancelled, ReservationExpired, ReservationNoShow):

        @subscribe(event_class, name=f"inventory.release_on_{event_class.event_type}")
        def release(event) -> None:
            with unit_of_work():
                follower().on_released(event)

    @subscribe(ReservationCompleted, name="inventory.record_return")
    def record_return(event: ReservationCompleted) -> None:
        with unit_of_work():
            follower().on_completed(event)

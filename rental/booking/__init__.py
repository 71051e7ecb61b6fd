"""Booking: availability, reservations and their lifecycle. Other modules and the web use
only what is exported here; Booking's published events are in rental.contracts.booking."""

from rental.booking.application.cart import CartCheck, CartLineCheck, CheckCart
from rental.booking.application.commands import (
    AddOrderLine,
    BookOnline,
    BookOrderForCustomer,
    BookOrderOnline,
    ChangeReservation,
    CreateReservation,
    PlaceOrder,
)
from rental.booking.application.queries import (
    Alternatives,
    AvailabilityResult,
    ChangePreview,
    CheckAvailability,
    FreeUnits,
    ReservationDetails,
    ReservationPage,
    SimilarOption,
    StaffActions,
    SwapOption,
)
from rental.booking.domain.models import BookingChannel, Order, PricingBasis, ReservationStatus
from rental.booking.domain.orders import OrderLine, OrderShort
from rental.booking.facade import BookingFacade
from rental.booking.infrastructure.repositories import ListReservations
from rental.booking.web.forms import PERIOD_FIELDS, BookingRequest, parse_carried
from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationCreated,
    ReservationEvent,
    ReservationExpired,
    ReservationHandedOver,
    ReservationNoShow,
)

__all__ = [
    "PERIOD_FIELDS",
    "AddOrderLine",
    "Alternatives",
    "AvailabilityResult",
    "BookOnline",
    "BookOrderForCustomer",
    "BookOrderOnline",
    "BookingChannel",
    "BookingFacade",
    "BookingRequest",
    "CartCheck",
    "CartLineCheck",
    "ChangePreview",
    "ChangeReservation",
    "CheckAvailability",
    "CheckCart",
    "CreateReservation",
    "FreeUnits",
    "ListReservations",
    "Order",
    "OrderLine",
    "OrderShort",
    "PlaceOrder",
    "PricingBasis",
    "ReservationCancelled",
    "ReservationChanged",
    "ReservationCompleted",
    "ReservationConfirmed",
    "ReservationCreated",
    "ReservationDetails",
    "ReservationEvent",
    "ReservationExpired",
    "ReservationHandedOver",
    "ReservationNoShow",
    "ReservationPage",
    "ReservationStatus",
    "SimilarOption",
    "StaffActions",
    "SwapOption",
    "parse_carried",
]

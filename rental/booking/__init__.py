"""Booking: availability, reservations and their lifecycle. Other modules and the web use
only what is exported here."""

from rental.booking.application.availability import CheckAvailability
from rental.booking.application.commands import CreateReservation
from rental.booking.application.dto import (
    Alternatives,
    AvailabilityResult,
    ReservationDetails,
    ReservationPage,
    SimilarOption,
)
from rental.booking.domain.models import BookingChannel, PricingBasis, ReservationStatus
from rental.booking.facade import BookingFacade, ListReservations

__all__ = [
    "Alternatives",
    "AvailabilityResult",
    "BookingChannel",
    "BookingFacade",
    "CheckAvailability",
    "CreateReservation",
    "ListReservations",
    "PricingBasis",
    "ReservationDetails",
    "ReservationPage",
    "ReservationStatus",
    "SimilarOption",
]

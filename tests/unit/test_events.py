from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rental.shared.events import (
    Event,
    event_class,
    from_payload,
    register_event,
    subscribe,
    subscribers,
    to_payload,
    unsubscribe,
)
from rental.shared.money import Money
from rental.shared.time_range import TimeRange


@register_event
@dataclass(frozen=True, kw_only=True)
class SampleBooked(Event):
    version = 2
    reservation_id: str
    quantity: int
    period: TimeRange
    total: Money
    rate: Decimal
    day: date
    at: datetime
    note: str | None = None
    tags: list[str] | None = None


def sample() -> SampleBooked:
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    return SampleBooked(
        reservation_id="r-1",
        quantity=2,
        period=TimeRange(start, datetime(2030, 1, 1, 17, tzinfo=UTC)),
        total=Money("240.00"),
        rate=Decimal("12.5"),
        day=date(2030, 1, 1),
        at=start,
        tags=["a", "b"],
    )


def test_event_is_registered_by_class_name_with_its_version():
    assert SampleBooked.event_type == "SampleBooked"
    assert event_class("SampleBooked") is SampleBooked
    assert SampleBooked.version == 2


def test_payload_is_plain_json_and_round_trips():
    import json

    event = sample()
    payload = to_payload(event)
    assert json.loads(json.dumps(payload)) == payload
    assert payload["total"] == {"amount": "240.00", "currency": "EUR"}
    assert payload["period"]["start"] == "2030-01-01T09:00:00+00:00"
    assert from_payload("SampleBooked", payload) == event


def test_two_classes_cannot_claim_one_name():
    with pytest.raises(ValueError, match="already registered"):

        @register_event
        @dataclass(frozen=True, kw_only=True)
        class SampleBooked(Event):
            x: int


def test_subscribing_twice_under_one_name_keeps_one_subscription():
    seen = []
    subscribe("SampleBooked", "test.once")(seen.append)
    subscribe("SampleBooked", "test.once")(seen.append)
    try:
        assert [s.name for s in subscribers("SampleBooked")].count("test.once") == 1
    finally:
        unsubscribe("test.once")
    assert "test.once" not in [s.name for s in subscribers("SampleBooked")]


@register_event
@dataclass(frozen=True, kw_only=True)
class SampleRenamed(Event):
    """v2 renamed `qty` to `quantity`: an event whose meaning changed upgrades old payloads."""

    version = 2
    reservation_id: str
    quantity: int

    @classmethod
    def upgrade(cls, payload, version):
        if version == 1:
            payload["quantity"] = payload.pop("qty")
        return payload


def test_a_subscriber_by_class_gets_the_typed_event_old_versions_upgraded():
    from rental.shared.events import Message, decode

    received = []
    subscribe(SampleRenamed, name="test.typed")(received.append)
    try:
        (subscription,) = subscribers("SampleRenamed")
        assert subscription.event_class is SampleRenamed
        now = datetime(2030, 1, 1, tzinfo=UTC)
        old = Message(1, "SampleRenamed", 1, {"reservation_id": "r-1", "qty": 3}, now)
        new = Message(2, "SampleRenamed", 2, {"reservation_id": "r-2", "quantity": 4}, now)
        for message in (old, new):
            subscription.handler(decode(message))
        assert received == [
            SampleRenamed(reservation_id="r-1", quantity=3),
            SampleRenamed(reservation_id="r-2", quantity=4),
        ]
    finally:
        unsubscribe("test.typed")


def test_every_published_contract_is_a_registered_event_of_rental_contracts():
    import rental.contracts.booking
    import rental.contracts.customers
    import rental.contracts.inventory

    for module in (
        rental.contracts.booking,
        rental.contracts.customers,
        rental.contracts.inventory,
    ):
        published = [
            v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Event) and v.__module__ == module.__name__
            and v.__dict__.get("event_type")
        ]  # fmt: skip
        assert published, module.__name__
        for cls in published:
            assert event_class(cls.event_type) is cls

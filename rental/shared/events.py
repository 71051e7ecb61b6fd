"""Integration events: dataclasses registered by name, serialised to versioned JSON.

Publishers register their event classes; consumers subscribe handlers *by event name* and
receive a `Message` with the JSON payload, so no module imports another module's internals.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, TypeVar, get_type_hints

from rental.shared.money import Money
from rental.shared.time_range import TimeRange


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base for integration events. Subclasses set `event_type` and bump `version` on change."""

    event_type: ClassVar[str] = ""
    version: ClassVar[int] = 1

    @classmethod
    def upgrade(cls, payload: dict[str, Any], version: int) -> dict[str, Any]:
        """The payload of an older `version` as this version reads it. New fields have
        defaults and dropped ones are ignored, so most events need nothing here; an event
        whose meaning changed overrides this."""
        return payload


@dataclass(frozen=True, slots=True)
class Message:
    """What a subscriber receives: the stored message, payload still as JSON data."""

    id: int
    event_type: str
    version: int
    payload: dict[str, Any]
    occurred_at: datetime


E = TypeVar("E", bound=type[Event])
# A subscriber gets the event decoded into its class; one subscribed by name only (tests'
# probes, tools) gets the stored Message.
Handler = Callable[[Any], None]

_EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    event_type: str
    handler: Handler = field(compare=False)
    # Set when subscribed with the event class: the outbox decodes the message into it first.
    event_class: type[Event] | None = field(default=None, compare=False)


_SUBSCRIPTIONS: dict[str, list[Subscription]] = {}


def register_event(cls: E) -> E:
    """Class decorator: make an event class known by its `event_type` (default: class name)."""
    if not cls.__dict__.get("event_type"):
        cls.event_type = cls.__name__
    existing = _EVENT_TYPES.get(cls.event_type)
    if existing is not None and existing is not cls:
        raise ValueError(f"Event type {cls.event_type!r} is already registered")
    _EVENT_TYPES[cls.event_type] = cls
    return cls


def event_class(event_type: str) -> type[Event]:
    try:
        return _EVENT_TYPES[event_type]
    except KeyError:
        raise KeyError(f"Unknown event type {event_type!r}") from None


def known_event_types() -> list[str]:
    """The event types registered in this process: the only ones its worker may deliver."""
    return sorted(_EVENT_TYPES)


def subscribe(event: type[Event] | str, name: str) -> Callable[[Handler], Handler]:
    """Decorator: deliver `event` (an event class from `rental.contracts`, decoded before the
    handler sees it; or an event type name, then the handler gets the raw Message) to the
    handler. `name` keys its inbox rows, so it must not change once messages were handled."""
    event_type, cls = (event, None) if isinstance(event, str) else (event.event_type, event)

    def decorate(handler: Handler) -> Handler:
        subs = _SUBSCRIPTIONS.setdefault(event_type, [])
        if any(s.name == name for s in subs):
            # Re-registration (e.g. create_app called twice) replaces, never duplicates.
            subs[:] = [s for s in subs if s.name != name]
        subs.append(
            Subscription(name=name, event_type=event_type, handler=handler, event_class=cls)
        )
        return handler

    return decorate


def decode(message: Message) -> Event:
    """The message as an instance of its event class (older versions upgraded first)."""
    cls = event_class(message.event_type)
    payload = message.payload
    if message.version != cls.version:
        payload = cls.upgrade(dict(payload), message.version)
    return from_payload(message.event_type, payload)


def subscribers(event_type: str) -> list[Subscription]:
    return list(_SUBSCRIPTIONS.get(event_type, []))


def unsubscribe(name: str) -> None:
    for subs in _SUBSCRIPTIONS.values():
        subs[:] = [s for s in subs if s.name != name]


# --- (de)serialisation ------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money | TimeRange):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(value, inner[0]) if len(inner) == 1 else value
    if origin in (list, tuple):
        args = typing.get_args(hint)
        item_hint = args[0] if args else Any
        items = [_decode(v, item_hint) for v in value]
        return tuple(items) if origin is tuple else items
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is Decimal:
        return Decimal(value)
    if hint is Money:
        return Money.from_dict(value)
    if hint is TimeRange:
        return TimeRange.from_dict(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value


def to_payload(event: Event) -> dict[str, Any]:
    return {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}


@functools.cache
def _type_hints(cls: type[Event]) -> dict[str, Any]:
    # Resolving the annotations costs more than decoding the payload: once per class.
    return get_type_hints(cls)


_PLAIN = (int, str, bool, float)  # JSON gives these back as they are: nothing to decode


@functools.cache
def _field_hints(cls: type[Event]) -> tuple[tuple[str, Any], ...]:
    # Each field's name and type (None: plain, taken as it is), once per class: the worker
    # decodes every message.
    hints = _type_hints(cls)
    return tuple(
        (f.name, None if hints[f.name] in _PLAIN else hints[f.name])
        for f in dataclasses.fields(cls)
    )


def from_payload(event_type: str, payload: dict[str, Any]) -> Event:
    cls = event_class(event_type)
    kwargs = {
        name: payload[name] if hint is None else _decode(payload[name], hint)
        for name, hint in _field_hints(cls)
        if name in payload
    }
    return cls(**kwargs)

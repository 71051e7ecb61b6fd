"""What the webhooks' code asks the app for: the time (`app.extensions["webhooks.clock"]`:
tests move time instead of waiting), the HTTP sender (`"webhooks.sender"`), the random source
of the jitter (`"webhooks.random"`) and WEBHOOKS_ALLOW_PRIVATE."""

from __future__ import annotations

import random
from datetime import datetime

from flask import current_app

from rental.shared.time_range import utcnow
from rental.webhooks.infrastructure.http import HttpSender, resolve


def now() -> datetime:
    clock = current_app.extensions.get("webhooks.clock") or utcnow
    return clock()


def allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE", False))


def sender():
    found = current_app.extensions.get("webhooks.sender")
    return found if found is not None else HttpSender(allow_private=allow_private())


def rng() -> random.Random | None:
    return current_app.extensions.get("webhooks.random")


def resolver():
    return current_app.extensions.get("webhooks.resolver") or resolve

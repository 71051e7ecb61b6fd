"""Sections other modules add to a page they do not own.

A page owned by one module can show what other modules hold about its subject without
importing them: a module registers `register_section(app, "customer", "reservations", fn)`
from its init_app, where fn(subject_id) renders its own part (its own template, its own
facade) and returns HTML; the owning view asks `sections("customer", subject_id)` and puts them
in its page. The staff customer page gets Booking's list of the customer's bookings this way,
so Customers never imports Booking (the privacy export, rental.shared.privacy, is the same
idea for data)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

Section = Callable[[str], str]


def register_section(app: Flask, page: str, name: str, render: Section, order: int = 50) -> None:
    """Add (or replace, by `name`) a section of `page`; sections show in `order`, then name."""
    pages: dict[str, dict[str, tuple[int, Section]]] = app.extensions.setdefault("sections", {})
    pages.setdefault(page, {})[name] = (order, render)


def sections(page: str, subject_id: str) -> list[tuple[str, Markup]]:
    """(name, HTML) of every section registered for `page`, rendered for `subject_id`. The
    HTML is what the registering module rendered (its templates escape what they show)."""
    registered = current_app.extensions.get("sections", {}).get(page, {})
    ordered = sorted(registered.items(), key=lambda item: (item[1][0], item[0]))
    return [(name, Markup(render(subject_id))) for name, (_, render) in ordered]

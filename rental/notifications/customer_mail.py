"""The staff customer page's "E-mails" section (placed there through rental.shared.sections):
every e-mail sent — or that failed — about the customer, newest first, each linking to its
page under /admin/mail."""

from __future__ import annotations

from flask import render_template

from rental.notifications import messages

SECTION_LIMIT = 50


def customer_mail_section(customer_id: str) -> str:
    rows = messages.for_customer(customer_id, limit=SECTION_LIMIT + 1)
    return render_template(
        "notifications/_customer_mail.html",
        messages=rows[:SECTION_LIMIT],
        more=len(rows) > SECTION_LIMIT,
    )

"""Admin pages for customers: search (and the found customers as CSV), detail (with the sections
other modules add to it), register, edit, suspend/reactivate, export, anonymise, delete (only
without history). Parse the form, call the facade, render."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, request, url_for

from rental.customers.application.commands import (
    HAS_HISTORY,
    CustomerDetailsInput,
    RegisterCustomer,
    UpdateCustomerProfile,
    in_words,
)
from rental.customers.application.queries import STATUS_FILTERS, CustomerDetails, SearchCustomers
from rental.customers.facade import CustomerFacade
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.parsing import page_number
from rental.shared.sections import sections
from rental.shared.spreadsheet import csv_download
from rental.shared.time_range import utcnow
from rental.shared.web import admin_only, render

bp = Blueprint("customers", __name__, url_prefix="/admin/customers")
FIELDS = ("name", "email", "phone", "street", "city", "state", "postal_code", "country")
PAGE_SIZE = 20


def _facade() -> CustomerFacade:
    return CustomerFacade()


def _form_input() -> CustomerDetailsInput:
    return CustomerDetailsInput(**{f: request.form.get(f, "") for f in FIELDS})


def _values_of(customer: CustomerDetails) -> dict[str, str]:
    values = {"name": customer.name, "email": customer.email, "phone": customer.phone}
    for part in FIELDS[3:]:
        values[part] = getattr(customer.address, part)
    return values


@bp.get("")
def index() -> Response:
    text = request.args.get("q", "").strip()
    status = request.args.get("status", "").upper()
    if status not in STATUS_FILTERS:
        status = ""
    page = _facade().search_customers(
        SearchCustomers(
            text=text,
            status=status or None,
            page=page_number(request.args.get("page")),
            page_size=PAGE_SIZE,
        )
    )
    return render(
        "customers/index.html",
        "results",
        page=page,
        q=text,
        status_filter=status,
        statuses=STATUS_FILTERS,
    )


EXPORT_HEADER = (
    "Customer ID",
    "Name",
    "Email",
    "Phone",
    "Street",
    "City",
    "State",
    "Postal code",
    "Country",
    "Status",
    "Registered (UTC)",
)


@bp.get("/export.csv")
def export_csv() -> Response:
    """The list's customers (its search and status; every page) as CSV, streamed a batch at a
    time. A status that is not one is ignored, as the list does."""
    status = request.args.get("status", "").upper()
    query = SearchCustomers(
        text=request.args.get("q", "").strip(),
        status=status if status in STATUS_FILTERS else None,
    )
    rows = (
        (
            c.id,
            c.name,
            c.email,
            c.phone,
            c.address.street,
            c.address.city,
            c.address.state,
            c.address.postal_code,
            c.address.country,
            "Anonymised" if c.anonymised_at else c.status.capitalize(),
            c.registered_at.isoformat(),
        )
        for batch in _facade().export_customers(query)
        for c in batch
    )
    return csv_download(f"customers-{utcnow():%Y-%m-%d}.csv", EXPORT_HEADER, rows)


@bp.get("/new")
def new() -> Response:
    return render("customers/form.html", values={}, errors={}, customer=None)


@bp.post("/new")
def create() -> Response:
    details = _form_input()
    try:
        customer_id = _facade().register_customer(RegisterCustomer(details))
    except (ValidationError, ConflictError) as exc:
        return _form_again(details, exc, None)
    flash("Customer registered.", "success")
    return redirect(url_for("customers.show", customer_id=customer_id), code=303)


def _form_again(
    details: CustomerDetailsInput,
    exc: ValidationError | ConflictError,
    customer: CustomerDetails | None,
) -> Response:
    errors = getattr(exc, "errors", None) or {exc.field or "form": exc.message}
    status = 409 if isinstance(exc, ConflictError) else 422
    return render(
        "customers/form.html",
        values={f: getattr(details, f) for f in FIELDS},
        errors=errors,
        message=exc.message,
        customer=customer,
        status=status,
    )


@bp.get("/<customer_id>")
def show(customer_id: str) -> Response:
    customer = _facade().get_customer_by_id(customer_id)
    # What other modules hold about the customer (Booking: their bookings), each rendered by
    # its own module through rental.shared.sections: Customers imports none of them.
    return render(
        "customers/show.html", customer=customer, sections=sections("customer", customer.id)
    )


@bp.get("/<customer_id>/edit")
def edit(customer_id: str) -> Response:
    customer = _facade().get_customer_for_change(customer_id)
    return render("customers/form.html", values=_values_of(customer), errors={}, customer=customer)


@bp.post("/<customer_id>/edit")
def update(customer_id: str) -> Response:
    facade = _facade()
    customer = facade.get_customer_by_id(customer_id)
    details = _form_input()
    try:
        facade.update_customer_profile(UpdateCustomerProfile(customer_id, details))
    except (ValidationError, ConflictError) as exc:
        if isinstance(exc, ConflictError) and exc.field != "email":
            raise
        return _form_again(details, exc, customer)
    flash("Profile saved.", "success")
    return redirect(url_for("customers.show", customer_id=customer_id), code=303)


@bp.post("/<customer_id>/suspend")
def suspend(customer_id: str) -> Response:
    _facade().suspend_customer(customer_id)
    flash("Customer suspended: they cannot make new bookings until reactivated.", "success")
    return redirect(url_for("customers.show", customer_id=customer_id), code=303)


@bp.post("/<customer_id>/reactivate")
def reactivate(customer_id: str) -> Response:
    _facade().reactivate_customer(customer_id)
    flash("Customer reactivated.", "success")
    return redirect(url_for("customers.show", customer_id=customer_id), code=303)


@bp.get("/<customer_id>/export")
def export(customer_id: str) -> Response:
    document = _facade().export_customer_data(customer_id)
    body = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="customer-{document["export"]["customer_id"]}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<customer_id>/anonymise")
@admin_only
def confirm_anonymise(customer_id: str) -> Response:
    return render(
        "customers/anonymise.html", customer=_facade().get_customer_by_id(customer_id), errors={}
    )


@bp.post("/<customer_id>/anonymise")
@admin_only
def anonymise(customer_id: str) -> Response:
    facade = _facade()
    if request.form.get("confirm") != "yes":
        return render(
            "customers/anonymise.html",
            customer=facade.get_customer_by_id(customer_id),
            errors={"confirm": "Tick the box to confirm that the data should be removed."},
            status=422,
        )
    facade.anonymise_customer(customer_id)
    flash("Customer anonymised. Their personal data has been removed for good.", "success")
    return redirect(url_for("customers.show", customer_id=customer_id), code=303)


def _delete_page(customer_id: str, errors: dict[str, str], status: int = 200) -> Response:
    facade = _facade()
    customer = facade.get_customer_by_id(customer_id)
    kept = facade.customer_history(customer_id)
    return render(
        "customers/delete.html",
        customer=customer,
        refusal=HAS_HISTORY.format(name=customer.name, kept=in_words(kept)) if kept else "",
        errors=errors,
        status=status,
    )


@bp.get("/<customer_id>/delete")
@admin_only
def confirm_delete(customer_id: str) -> Response:
    """The confirm page (GET deletes nothing): a customer with orders or payments cannot be
    deleted — the page says why and offers anonymising."""
    return _delete_page(customer_id, {})


@bp.post("/<customer_id>/delete")
@admin_only
def delete(customer_id: str) -> Response:
    if request.form.get("confirm") != "yes":
        errors = {"confirm": "Tick the box to confirm that the record should be deleted."}
        return _delete_page(customer_id, errors, 422)
    try:
        _facade().delete_customer(customer_id)
    except ConflictError:  # history appeared since the page was shown: it says so now
        return _delete_page(customer_id, {}, 409)
    flash("Customer deleted. Their record and personal data are gone.", "success")
    return redirect(url_for("customers.index"), code=303)

"""Customer identity on real databases (SQLite and PostgreSQL): registration and the unique
email under concurrency, updates, search, ensure_customer, privacy export and anonymisation."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import event, text

from rental.customers import (
    CustomerDetailsInput,
    CustomerFacade,
    RegisterCustomer,
    SearchCustomers,
    UpdateCustomerProfile,
)
from rental.shared import privacy
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from tests.support.processes import wait_until

facade = CustomerFacade()


def person(**changes: str) -> CustomerDetailsInput:
    values = {
        "name": "Aisha Okafor",
        "email": "Aisha.Okafor@Example.org",
        "phone": "+44 20 7946 0321",
        "street": "221 Camden High Street",
        "city": "London",
        "state": "Greater London",
        "postal_code": "NW1 7BU",
        "country": "United Kingdom",
    }
    return CustomerDetailsInput(**{**values, **changes})


def test_register_get_and_find_by_email_case_insensitively(app):
    customer_id = facade.register_customer(RegisterCustomer(person()))
    customer = facade.get_customer_by_id(customer_id)
    assert customer.email == "aisha.okafor@example.org"
    assert customer.status == "ACTIVE" and customer.can_book and customer.anonymised_at is None
    assert customer.registered_at.tzinfo is not None
    assert customer.address.postal_code == "NW1 7BU"
    assert facade.find_customer_by_email("  AISHA.okafor@EXAMPLE.org ") == customer
    assert facade.find_customer_by_email("nobody@example.org") is None
    with pytest.raises(NotFoundError):
        facade.get_customer_by_id("00000000-0000-4000-8000-000000000000")


def test_a_duplicate_email_is_a_clear_conflict(app):
    facade.register_customer(RegisterCustomer(person()))
    with pytest.raises(ConflictError) as err:
        facade.register_customer(RegisterCustomer(person(email="AISHA.OKAFOR@example.org")))
    assert err.value.message == "A customer with the email aisha.okafor@example.org already exists."
    assert err.value.field == "email"


def test_registration_validates_every_field(app):
    with pytest.raises(ValidationError) as err:
        facade.register_customer(RegisterCustomer(person(email="nope", phone="", country="")))
    assert set(err.value.errors) == {"email", "phone", "country"}


def _count(sql: str) -> int:
    return db.session.execute(text(sql)).scalar_one()


class QueuedBehind:
    """Tells the test when the `second` thread's transaction is queued behind the first one —
    instead of guessing with a sleep how long the first should stay open. The second thread
    calls `starting()` right before its transaction."""

    def __init__(self, engine, second: threading.Thread) -> None:
        self.engine = engine
        self.second = second
        self.started = threading.Event()
        self.backend_pid: int | None = None

    def __enter__(self) -> QueuedBehind:
        if self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "begin", self._on_begin)
        return self

    def __exit__(self, *_exc) -> None:
        if event.contains(self.engine, "begin", self._on_begin):
            event.remove(self.engine, "begin", self._on_begin)

    def _on_begin(self, connection) -> None:
        if threading.current_thread() is self.second:
            self.backend_pid = connection.connection.dbapi_connection.info.backend_pid

    def starting(self) -> None:
        self.started.set()

    def wait(self) -> None:
        """PostgreSQL: until the second's session waits for a lock (the first's uncommitted
        row in the unique email index). SQLite: until the second starts; its BEGIN IMMEDIATE
        then waits for the first's write lock inside the driver, where it cannot be seen —
        but the order is settled either way: the second cannot pass that lock, so it runs
        after the first has committed and sees its row."""
        assert self.started.wait(30), "the second transaction never started"
        if self.engine.dialect.name != "postgresql":
            return

        def waiting() -> bool:
            if self.backend_pid is None:
                return False
            blocked = db.session.execute(
                text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                {"pid": self.backend_pid},
            ).scalar_one()
            db.session.rollback()
            return blocked > 0

        wait_until(waiting, message="the second transaction never waited for the first")


def test_two_concurrent_registrations_with_one_email_make_one_customer_and_one_clear_error(app):
    """The first transaction has inserted but not committed when the second one registers the
    same email: PostgreSQL's unique index blocks and then refuses the second insert, SQLite's
    write lock makes the second wait and see the first."""
    inserted, release = threading.Event(), threading.Event()
    ids: list[str] = []
    errors: list[Exception] = []

    def first() -> None:
        with app.app_context():
            with unit_of_work():
                ids.append(facade.register_customer(RegisterCustomer(person())))
                inserted.set()
                # The transaction stays open until the second one is queued behind it.
                assert release.wait(30), "never released"
            db.session.remove()

    def second() -> None:
        with app.app_context():
            inserted.wait(10)
            queue.starting()
            try:
                ids.append(
                    facade.register_customer(
                        RegisterCustomer(
                            person(name="Someone Else", email="AISHA.okafor@example.org")
                        )
                    )
                )
            except Exception as exc:
                errors.append(exc)
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    with QueuedBehind(db.engine, threads[1]) as queue:
        for t in threads:
            t.start()
        try:
            queue.wait()
        finally:
            release.set()
        for t in threads:
            t.join(30)
    assert len(ids) == 1, (ids, errors)
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), errors
    assert "already exists" in errors[0].message
    db.session.remove()
    assert _count("SELECT count(*) FROM customers_customers") == 1
    assert facade.get_customer_by_id(ids[0]).name == "Aisha Okafor"


def test_concurrent_ensure_customer_calls_agree_on_one_customer(app):
    inserted, release = threading.Event(), threading.Event()
    results: list[str] = []

    def first() -> None:
        with app.app_context():
            with unit_of_work():
                results.append(facade.ensure_customer(person()))
                inserted.set()
                assert release.wait(30), "never released"
            db.session.remove()

    def second() -> None:
        with app.app_context():
            inserted.wait(10)
            queue.starting()
            results.append(facade.ensure_customer(person(name="Typo Name")))
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    with QueuedBehind(db.engine, threads[1]) as queue:
        for t in threads:
            t.start()
        try:
            queue.wait()
        finally:
            release.set()
        for t in threads:
            t.join(30)
    assert len(results) == 2 and results[0] == results[1]
    db.session.remove()
    assert facade.get_customer_by_id(results[0]).name == "Aisha Okafor"


def test_ensure_customer_returns_the_existing_id_without_overwriting_the_profile(app):
    first = facade.ensure_customer(person())
    again = facade.ensure_customer(person(name="Other Name", phone="+44 1111 2222", city="Leeds"))
    assert again == first
    stored = facade.get_customer_by_id(first)
    assert stored.name == "Aisha Okafor" and stored.address.city == "London"


def test_ensure_customer_validates_all_fields_first(app):
    with pytest.raises(ValidationError) as err:
        facade.ensure_customer(
            CustomerDetailsInput("", "bad", "x", "", "", "", "", "")  # everything wrong
        )
    assert set(err.value.errors) == {
        "name",
        "email",
        "phone",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
    }


def test_update_changes_the_profile_and_rechecks_email_uniqueness(app):
    a = facade.register_customer(RegisterCustomer(person()))
    facade.register_customer(RegisterCustomer(person(name="Tom", email="tom@example.com")))
    facade.update_customer_profile(UpdateCustomerProfile(a, person(phone="+44 20 0000 1111")))
    assert facade.get_customer_by_id(a).phone == "+44 20 0000 1111"
    with pytest.raises(ConflictError):
        facade.update_customer_profile(UpdateCustomerProfile(a, person(email="TOM@example.com")))
    facade.update_customer_profile(UpdateCustomerProfile(a, person(email="new@example.org")))
    assert facade.get_customer_by_id(a).email == "new@example.org"


def test_suspend_and_reactivate(app):
    a = facade.register_customer(RegisterCustomer(person()))
    facade.suspend_customer(a)
    assert facade.get_customer_by_id(a).status == "SUSPENDED"
    assert not facade.get_customer_by_id(a).can_book
    facade.reactivate_customer(a)
    assert facade.get_customer_by_id(a).can_book


def test_search_by_substring_of_name_email_or_phone_with_status_filter_and_pages(app):
    for i in range(25):
        facade.register_customer(
            RegisterCustomer(
                person(
                    name=f"Customer {i:02d}",
                    email=f"c{i}@shop{i % 3}.example",
                    phone=f"+1 555 01{i:02d}",
                )
            )
        )
    special = facade.register_customer(
        RegisterCustomer(
            person(name="Zoë 100%_Sure", email="zoe@example.org", phone="+49 123 4567")
        )
    )
    facade.suspend_customer(special)
    page = facade.search_customers(SearchCustomers(page_size=10))
    assert page.total == 26 and len(page.items) == 10 and page.pages == 3 and page.has_next
    last = facade.search_customers(SearchCustomers(page=3, page_size=10))
    assert len(last.items) == 6 and not last.has_next and last.has_previous
    assert facade.search_customers(SearchCustomers(text="SHOP1")).total == 8
    assert facade.search_customers(SearchCustomers(text="555 0107")).items[0].name == "Customer 07"
    assert facade.search_customers(SearchCustomers(text="zoË")).total in (0, 1)  # non-ASCII case
    assert [c.id for c in facade.search_customers(SearchCustomers(text="100%_")).items] == [special]
    assert facade.search_customers(SearchCustomers(text="%")).total == 1  # % is literal
    assert facade.search_customers(SearchCustomers(status="SUSPENDED")).total == 1
    assert facade.search_customers(SearchCustomers(status="ACTIVE")).total == 25


def test_export_contains_every_field_and_every_registered_section(app, monkeypatch):
    a = facade.register_customer(RegisterCustomer(person()))
    monkeypatch.setitem(privacy._EXPORTERS, "reservations", lambda cid: [{"customer_id": cid}])
    document = facade.export_customer_data(a)
    json.dumps(document)  # JSON-ready
    assert document["export"]["customer_id"] == a
    assert document["customer"] == {
        "id": a,
        "name": "Aisha Okafor",
        "email": "aisha.okafor@example.org",
        "phone": "+44 20 7946 0321",
        "address": {
            "street": "221 Camden High Street",
            "city": "London",
            "state": "Greater London",
            "postal_code": "NW1 7BU",
            "country": "United Kingdom",
        },
        "registered_at": facade.get_customer_by_id(a).registered_at.isoformat(),
        "status": "ACTIVE",
        "anonymised_at": None,
    }
    assert document["reservations"] == [{"customer_id": a}]


PII = ["Aisha", "Okafor", "aisha.okafor", "7946", "Camden", "London", "NW1", "United Kingdom"]


def test_anonymise_leaves_no_personal_data_in_the_table_or_the_outbox(app):
    a = facade.register_customer(RegisterCustomer(person()))
    facade.update_customer_profile(UpdateCustomerProfile(a, person(phone="+44 20 7946 9999")))
    facade.suspend_customer(a)
    facade.anonymise_customer(a)
    facade.anonymise_customer(a)  # idempotent, irreversible
    rows = db.session.execute(text("SELECT * FROM customers_customers")).all()
    payloads = db.session.execute(
        text("SELECT event_type, payload FROM outbox_messages ORDER BY id")
    ).all()
    dump = repr(rows) + repr(payloads)
    for value in PII:
        assert value.lower() not in dump.lower(), value
    assert [p[0] for p in payloads] == [
        "CustomerRegistered",
        "CustomerProfileUpdated",
        "CustomerSuspended",
        "CustomerAnonymised",
    ]
    customer = facade.get_customer_by_id(a)
    assert customer.id == a and customer.name == "Anonymised customer"
    assert customer.email == f"anonymised-{a}@invalid"
    assert customer.anonymised_at is not None and not customer.can_book
    with pytest.raises(ConflictError):
        facade.update_customer_profile(UpdateCustomerProfile(a, person()))
    with pytest.raises(ConflictError):
        facade.reactivate_customer(a)
    # The email is free again for a new, different customer record.
    assert facade.register_customer(RegisterCustomer(person())) != a


# --- a booking with a known e-mail; finding customers for other modules -----------------------


def test_ensure_for_booking_says_whether_the_email_was_known_and_what_was_typed_differently(app):
    new = facade.ensure_customer_for_booking(person(name="  Aisha   Okafor "))
    assert not new.known and new.differences == ()
    assert new.typed.name == "Aisha Okafor" and new.typed.email == "aisha.okafor@example.org"
    # The same person again, spelled and spaced differently: known, nothing to review.
    same = facade.ensure_customer_for_booking(
        person(email="AISHA.OKAFOR@example.org", name="aisha okafor", phone="+442079460321")
    )
    assert same.known and same.customer_id == new.customer_id and same.differences == ()
    # Someone typing the e-mail with other details: the stored profile is kept as it is.
    other = facade.ensure_customer_for_booking(
        person(name="Mallory Example", phone="+1 555 0199", city="Leeds")
    )
    assert other.known and other.customer_id == new.customer_id
    assert other.differences == ("name", "phone", "city")
    assert (other.typed.name, other.typed.phone, other.typed.city) == (
        "Mallory Example",
        "+1 555 0199",
        "Leeds",
    )
    stored = facade.get_customer_by_id(new.customer_id)
    assert (stored.name, stored.phone, stored.address.city) == (
        "Aisha Okafor",
        "+44 20 7946 0321",
        "London",
    )
    assert _count("SELECT count(*) FROM outbox_messages") == 1  # CustomerRegistered only


def test_ensure_for_booking_validates_first_and_refuses_a_customer_who_may_not_book(app):
    customer_id = facade.register_customer(RegisterCustomer(person()))
    facade.suspend_customer(customer_id)
    with pytest.raises(ValidationError) as bad_input:
        facade.ensure_customer_for_booking(person(phone="x"))
    assert set(bad_input.value.errors) == {"phone"}  # the fields first, the account second
    with pytest.raises(ValidationError) as refused:
        facade.ensure_customer_for_booking(person())
    assert set(refused.value.errors) == {"customer"}


def test_customer_ids_matching_a_search_by_name_email_or_phone_digits(app):
    aisha = facade.register_customer(RegisterCustomer(person()))
    bob = facade.register_customer(
        RegisterCustomer(
            person(name="Bob Müller", email="bob@builders.example", phone="(030) 555-0101")
        )
    )
    find = facade.find_customer_ids
    assert find("okafor").ids == {aisha} and find("okafor").complete
    assert find("BUILDERS.example").ids == {bob}
    assert find("0305550101").ids == {bob}  # the phone by its digits alone
    assert find("555 0101").ids == {bob}
    assert find("7946 0321").ids == {aisha}
    assert find("example").ids == {aisha, bob}
    for odd in ("", "   ", "%", "_", "\\", "'; DROP TABLE x; --", "ü" * 300, "🙂", "12"):
        assert find(odd).ids <= {aisha, bob}  # any string: an answer, never an error
    assert find("").ids == frozenset() and find("%").ids == frozenset()
    capped = find("example", limit=1)
    assert len(capped.ids) == 1 and not capped.complete


def test_get_customers_reads_several_at_once_and_leaves_unknown_ids_out(app):
    a = facade.register_customer(RegisterCustomer(person()))
    b = facade.register_customer(RegisterCustomer(person(email="b@example.org", name="B")))
    found = facade.get_customers(
        [a, b.upper(), "not-an-id", "00000000-0000-4000-8000-000000000000"]
    )
    assert set(found) == {a, b} and found[b].name == "B"
    assert facade.get_customers([]) == {}

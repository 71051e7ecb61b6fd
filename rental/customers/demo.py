"""Demo customers for `flask seed-demo` (idempotent: found by email, never duplicated)."""

from __future__ import annotations

from rental.customers.application.commands import CustomerDetailsInput
from rental.customers.facade import CustomerFacade

DEMO_CUSTOMERS = [
    (
        "Maria Schneider",
        "maria.schneider@example.com",
        "+49 30 5550 1234",
        "Kastanienallee 12",
        "Berlin",
        "Berlin",
        "10435",
        "Germany",
    ),
    (
        "Tom Brennan",
        "tom@brennan-builders.example",
        "+353 1 555 0199",
        "14 Harbour Road",
        "Dublin",
        "Leinster",
        "D03 X2Y4",
        "Ireland",
    ),
    (
        "Aisha Okafor",
        "aisha.okafor@example.org",
        "+44 20 7946 0321",
        "221 Camden High Street",
        "London",
        "Greater London",
        "NW1 7BU",
        "United Kingdom",
    ),
    (
        "Lucas Martin",
        "lucas.martin@example.fr",
        "+33 1 55 50 12 34",
        "8 Rue des Lilas",
        "Lyon",
        "Auvergne-Rhône-Alpes",
        "69003",
        "France",
    ),
    (
        "Sofia Rossi",
        "sofia.rossi@example.it",
        "+39 02 5550 9876",
        "Via Torino 45",
        "Milan",
        "Lombardy",
        "20123",
        "Italy",
    ),
    (
        "Jan de Vries",
        "jan@devries-tuinen.example",
        "+31 20 555 4433",
        "Prinsengracht 301",
        "Amsterdam",
        "North Holland",
        "1016 GX",
        "Netherlands",
    ),
    (
        "Emily Carter",
        "emily.carter@example.com",
        "+1 (512) 555-0147",
        "1800 Congress Ave",
        "Austin",
        "Texas",
        "78701",
        "United States",
    ),
    (
        "Kenji Watanabe",
        "kenji.watanabe@example.jp",
        "+81 3 5550 7788",
        "2-11-3 Meguro",
        "Tokyo",
        "Tokyo",
        "153-0063",
        "Japan",
    ),
    (
        "Olga Nowak",
        "olga.nowak@example.pl",
        "+48 22 555 67 89",
        "ul. Mokotowska 17",
        "Warsaw",
        "Masovian",
        "00-640",
        "Poland",
    ),
    (
        "Carlos Mendes",
        "carlos@mendes-eventos.example",
        "+351 21 555 0042",
        "Rua Augusta 120",
        "Lisbon",
        "Lisbon",
        "1100-053",
        "Portugal",
    ),
    (
        "Hannah Berg",
        "hannah.berg@example.se",
        "+46 8 555 123 45",
        "Götgatan 22",
        "Stockholm",
        "Stockholm County",
        "118 46",
        "Sweden",
    ),
    (
        "Priya Nair",
        "priya.nair@example.in",
        "+91 80 5550 2211",
        "45 MG Road",
        "Bengaluru",
        "Karnataka",
        "560001",
        "India",
    ),
]

SUSPENDED = {"carlos@mendes-eventos.example"}


def seed_customers() -> None:
    facade = CustomerFacade()
    for row in DEMO_CUSTOMERS:
        details = CustomerDetailsInput(*row)
        is_new = facade.find_customer_by_email(details.email) is None
        customer_id = facade.ensure_customer(details)
        if is_new and details.email in SUSPENDED:
            facade.suspend_customer(customer_id)

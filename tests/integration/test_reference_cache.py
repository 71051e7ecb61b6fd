"""rental.shared.reference_cache on SQLite and PostgreSQL: the web process keeps the catalog,
rate cards, fleet sizes and shop settings across requests, and a change committed anywhere
(another process, a bulk UPDATE, this very request) is what the next read sees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from rental.catalog import BrowseCatalog, CatalogFacade
from rental.extensions import db
from rental.pricing import PricingFacade, SetRateCard
from rental.pricing.infrastructure.entities import RateCardEntity
from rental.shared.db import unit_of_work
from rental.shared.reference_cache import MAX_ENTRIES, _Store
from rental.shop import SaveShopSettings, ShopFacade
from tests.support.fleet import Fleet, make_type
from tests.support.statements import statements, token_reads


@pytest.fixture
def fleet(app) -> Fleet:
    return make_type(units=2, daily="120.00")


def type_page(client, fleet: Fleet) -> str:
    response = client.get(f"/catalog/{fleet.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def set_daily(fleet: Fleet, daily: str) -> None:
    card = PricingFacade().get_rate_card(fleet.type_id)
    assert card is not None
    PricingFacade().set_rate_card(
        SetRateCard(
            equipment_type_id=fleet.type_id,
            hourly=card.hourly.amount,
            daily=Decimal(daily),
            weekly=card.weekly.amount if card.weekly else None,
            minimum_duration=card.minimum_duration,
            deposit=card.deposit.amount if card.deposit else None,
        )
    )


def test_a_kept_page_reads_only_the_token_and_a_change_shows_at_the_next_request(client, fleet):
    assert "120.00" in type_page(client, fleet)
    with statements() as warm:
        assert "120.00" in type_page(client, fleet)
    assert warm == token_reads(warm) and len(warm) == 1, warm

    # Changed outside any request, as another web process or the worker would: this process
    # was not told, the token it reads next is what tells it.
    set_daily(fleet, "95.00")
    body = type_page(client, fleet)
    assert "95.00" in body and "120.00" not in body

    ShopFacade().save_settings(SaveShopSettings(name="Corner Rentals", phone="+49 30 5550199"))
    assert "+49 30 5550199" in type_page(client, fleet)  # the footer


def test_a_bulk_update_renews_the_token_too(client, fleet):
    assert "120.00" in type_page(client, fleet)
    with unit_of_work() as session:
        session.execute(
            update(RateCardEntity)
            .where(RateCardEntity.equipment_type_id == fleet.type_id)
            .values(daily=Decimal("77.00"))
        )
    assert "77.00" in type_page(client, fleet)


def test_a_page_read_while_a_change_is_uncommitted_is_not_kept_past_its_commit(app, client, fleet):
    """The window forced open: another session has written the new price and the new token
    but not committed. Readers are not blocked and see the old price (kept under the old
    token); once it commits, the next request sees the new one. A token renewed outside the
    writing transaction (before its commit) would have the old price kept under the new token
    here, and served after the commit."""
    assert "120.00" in type_page(client, fleet)
    writer = Session(db.engine)
    try:
        entity = writer.get(RateCardEntity, _card_id(writer, fleet))
        entity.daily = Decimal("66.00")
        writer.flush()  # the UPDATE and the new token, holding their row locks
        during = type_page(client, fleet)
        assert "120.00" in during and "66.00" not in during
        writer.commit()
    finally:
        writer.close()
    after = type_page(client, fleet)
    assert "66.00" in after and "120.00" not in after


def _card_id(session: Session, fleet: Fleet) -> str:
    return session.execute(
        RateCardEntity.__table__.select().where(RateCardEntity.equipment_type_id == fleet.type_id)
    ).one()[0]


def test_a_request_that_changes_the_catalog_reads_its_own_change(app, fleet):
    catalog = CatalogFacade()
    with app.test_request_context("/"):
        before = catalog.browse_catalog(BrowseCatalog())
        assert [t.id for t in before.result.items] == [fleet.type_id]
    with app.test_request_context("/"):
        kept = catalog.browse_catalog(BrowseCatalog())  # kept by the process
        assert kept is catalog.browse_catalog(BrowseCatalog())
        other = make_type(units=1)  # this request defines another type…
        after = catalog.browse_catalog(BrowseCatalog())  # …and lists it
        assert {t.id for t in after.result.items} == {fleet.type_id, other.type_id}


def test_outside_a_request_every_read_loads(app, fleet):
    pricing = PricingFacade()
    assert pricing.get_rate_card(fleet.type_id) is not pricing.get_rate_card(fleet.type_id)


def test_the_process_keeps_at_most_max_entries_dropping_the_least_recently_used():
    store = _Store()
    store.put("n", "first", "t", "kept")
    for key in range(MAX_ENTRIES):
        store.put("n", key, "t", key)
        if key == 0:
            assert store.get("n", "first", "t") == "kept"  # read: now the most recent
    assert store.get("n", "first", "t") == "kept"
    assert store.get("n", 0, "t") != 0  # the least recently used, dropped
    assert store.get("n", MAX_ENTRIES - 1, "t") == MAX_ENTRIES - 1
    assert store.get("n", MAX_ENTRIES - 1, "another token") != MAX_ENTRIES - 1

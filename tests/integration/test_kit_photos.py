"""Photos of kits through the admin kit form (real CSRF, both databases), as types have them:
uploaded, shown on the kits list and the kit page with their text alternative (and as the kit
page's og:image and JSON-LD image), replaced and removed; every kind of bad upload is refused
next to the field with nothing written — no row, no file; a photo a type and a kit share stays
until neither shows it; the demo kits get photos, also when seeded before kits had them."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from rental.catalog import CatalogFacade, UpdateKit
from rental.catalog.demo import seed_catalog, seed_kits
from rental.catalog.infrastructure.kits import KitRepository
from rental.extensions import db
from tests.integration.test_type_photos import BAD_UPLOADS, THROTTLE, FailingStore
from tests.support.auth import csrf_token
from tests.support.fingerprint import changed_tables, database_fingerprint
from tests.support.fleet import make_type
from tests.support.images import image_bytes


@pytest.fixture
def fleets(app):
    generators = make_type(units=3, name="Generator", hourly="20.00", daily="120.00")
    lights = make_type(units=5, name="Light tower", hourly="7.50", daily="45.55", weekly=None)
    return generators, lights


def uploads(app) -> list[str]:
    folder = Path(app.config["UPLOADS_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def html(response) -> str:
    return response.get_data(as_text=True)


def kit_form(client, fleets, page: str, **extra) -> dict:
    generators, lights = fleets
    data = {
        "csrf_token": csrf_token(client, page),
        "name": "Event power kit",
        "slug": "event-power-kit",
        "description": "Stage power.",
        "discount_percent": "10",
        "active": "on",
        "type-0": generators.type_id,
        "quantity-0": "1",
        "type-1": lights.type_id,
        "quantity-1": "2",
        "image_alt": "",
    }
    data.update(extra)
    return data


def create(client, fleets, content: bytes | None = None, file_name: str = "photo.jpg", **extra):
    if content is not None:
        extra["image"] = (io.BytesIO(content), file_name)
    data = kit_form(client, fleets, "/admin/catalog/kits/new", **extra)
    return client.post("/admin/catalog/kits", data=data, content_type="multipart/form-data")


def edit(client, fleets, kit_id: str, content: bytes | None = None, file_name="photo.jpg", **extra):
    if content is not None:
        extra["image"] = (io.BytesIO(content), file_name)
    data = kit_form(client, fleets, f"/admin/catalog/kits/{kit_id}/edit", **extra)
    return client.post(
        f"/admin/catalog/kits/{kit_id}", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def kit_id(app, admin_client, fleets) -> str:
    assert create(admin_client, fleets).status_code == 303
    return CatalogFacade().get_kit_by_slug("event-power-kit").id


def json_ld(page: str) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block, page
    return json.loads(block.group(1))


def test_staff_create_a_kit_with_a_photo_and_the_kits_list_and_kit_page_show_it(
    app, admin_client, client, fleets
):
    response = create(
        admin_client,
        fleets,
        image_bytes(1600, 1200, "JPEG"),
        file_name="IMG_0042.JPG",
        image_alt="Three generators side by side",
    )
    assert response.status_code == 303
    kit = CatalogFacade().get_kit_by_slug("event-power-kit")
    image = kit.image
    assert image is not None and (image.width, image.height) == (1200, 900)
    assert kit.image_alt == "Three generators side by side"
    assert uploads(app) == sorted(image.file_names())  # only the variants, hashed names
    assert not any("IMG_0042" in name for name in uploads(app))

    listing = html(client.get("/catalog/kits"))
    card = re.search(r'<img src="/media/' + image.key + r'-600\.webp"[^>]*>', listing)
    assert card, listing
    assert 'alt="Three generators side by side"' in card.group(0)
    assert f"/media/{image.key}-200.webp 200w" in card.group(0)  # the thumbnail
    assert 'width="600" height="450"' in card.group(0)

    page = html(client.get("/catalog/kits/event-power-kit"))
    hero = re.search(r'<img src="/media/' + image.key + r'-600\.webp"[^>]*>', page)
    assert hero and 'alt="Three generators side by side"' in hero.group(0)
    assert f"/media/{image.key}-1200.webp 1200w" in hero.group(0)
    preview = f"http://localhost/media/{image.key}-1200.jpg"
    assert f'<meta property="og:image" content="{preview}">' in page
    assert 'content="Three generators side by side"' in page  # og:image:alt
    assert json_ld(page)["image"] == [preview]
    assert client.get(f"/media/{image.file_name(1200, 'jpg')}").status_code == 200

    form = html(admin_client.get(f"/admin/catalog/kits/{kit.id}/edit"))
    assert 'enctype="multipart/form-data"' in form and f"/media/{image.key}-200.webp" in form
    assert 'name="remove_image"' in form and 'value="Three generators side by side"' in form


def test_without_alt_text_the_kits_name_describes_the_photo(
    app, admin_client, client, fleets, kit_id
):
    assert edit(admin_client, fleets, kit_id, image_bytes(400, 300)).status_code == 303
    listing = html(client.get("/catalog/kits"))
    assert re.search(r'<img src="/media/[0-9a-f]{32}-600\.webp"[^>]*alt="Event power kit"', listing)


def test_without_a_photo_the_kit_shows_the_letter_tile_and_no_og_image(app, client, kit_id):
    listing = html(client.get("/catalog/kits"))
    assert '<div class="type-thumb" aria-hidden="true"><span>E</span></div>' in listing
    page = html(client.get("/catalog/kits/event-power-kit"))
    assert '<div class="type-thumb large" aria-hidden="true"><span>E</span></div>' in page
    assert "og:image" not in page and "/media/" not in page
    assert "image" not in json_ld(page)


def test_staff_replace_and_remove_the_photo_and_the_letter_tile_comes_back(
    app, admin_client, client, fleets, kit_id
):
    edit(admin_client, fleets, kit_id, image_bytes(400, 300, colour=(1, 2, 3)))
    first = CatalogFacade().get_kit(kit_id).image
    edit(admin_client, fleets, kit_id, image_bytes(400, 300, colour=(9, 9, 9)))
    second = CatalogFacade().get_kit(kit_id).image
    assert first is not None and second is not None and second.key != first.key
    assert uploads(app) == sorted(second.file_names())  # the replaced photo's files are gone

    data = kit_form(admin_client, fleets, f"/admin/catalog/kits/{kit_id}/edit", remove_image="on")
    response = admin_client.post(f"/admin/catalog/kits/{kit_id}", data=data)
    assert response.status_code == 303
    assert CatalogFacade().get_kit(kit_id).image is None
    assert uploads(app) == []
    listing = html(client.get("/catalog/kits"))
    assert "/media/" not in listing
    assert '<div class="type-thumb" aria-hidden="true"><span>E</span></div>' in listing


def test_saving_without_a_new_photo_keeps_the_photo(app, admin_client, fleets, kit_id):
    edit(admin_client, fleets, kit_id, image_bytes(400, 300))
    image = CatalogFacade().get_kit(kit_id).image
    assert edit(admin_client, fleets, kit_id, discount_percent="20").status_code == 303
    assert CatalogFacade().get_kit(kit_id).image == image
    assert uploads(app) == sorted(image.file_names())


def test_a_photo_a_type_and_a_kit_share_stays_until_neither_shows_it(
    app, admin_client, fleets, kit_id
):
    generators, _ = fleets
    photo = image_bytes(400, 300)
    edit(admin_client, fleets, kit_id, photo)
    key = CatalogFacade().get_kit(kit_id).image.key
    d = CatalogFacade().get_equipment_type_details(generators.type_id)
    type_page = f"/admin/catalog/types/{generators.type_id}/edit"
    type_form = {
        "csrf_token": csrf_token(admin_client, type_page),
        "name": d.name,
        "slug": d.slug,
        "category_id": d.category_id,
        "active": "on",
    }
    response = admin_client.post(
        f"/admin/catalog/types/{generators.type_id}",
        data=dict(type_form, image=(io.BytesIO(photo), "same.jpg")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert CatalogFacade().get_equipment_type_details(generators.type_id).image.key == key

    # The kit lets it go: the type still shows it, so its files stay.
    data = kit_form(admin_client, fleets, f"/admin/catalog/kits/{kit_id}/edit", remove_image="on")
    assert admin_client.post(f"/admin/catalog/kits/{kit_id}", data=data).status_code == 303
    assert len(uploads(app)) == 4 and all(n.startswith(key) for n in uploads(app))
    # And the other way round: the kit shows it again, the type lets it go.
    edit(admin_client, fleets, kit_id, photo)
    type_form["csrf_token"] = csrf_token(admin_client, type_page)
    response = admin_client.post(
        f"/admin/catalog/types/{generators.type_id}", data=dict(type_form, remove_image="on")
    )
    assert response.status_code == 303
    assert len(uploads(app)) == 4 and all(n.startswith(key) for n in uploads(app))


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_next_to_the_field_and_write_nothing(
    app, admin_client, fleets, kit_id, kind
):
    content, name, message = BAD_UPLOADS[kind]
    before = database_fingerprint(db.engine, THROTTLE)
    response = edit(
        admin_client, fleets, kit_id, content, file_name=name, description="Kept as typed"
    )
    assert response.status_code == 422
    body = html(response)
    error = re.search(r'<small id="image-error" class="field-error">([^<]*)</small>', body)
    assert error and message in error.group(1).replace("&#39;", "'"), body
    assert 'id="image" name="image"' in body and 'aria-describedby="image-error' in body
    assert "Kept as typed" in body  # the rest of the form keeps what was typed
    assert changed_tables(before, database_fingerprint(db.engine, THROTTLE)) == []
    assert uploads(app) == []
    assert not Path("/etc/passwd.webp").exists()


@pytest.mark.parametrize("kind", ["svg with script", "decompression bomb"])
def test_a_new_kit_with_a_bad_photo_is_not_created(app, admin_client, fleets, kind):
    content, name, message = BAD_UPLOADS[kind]
    before = database_fingerprint(db.engine, THROTTLE)
    response = create(admin_client, fleets, content, file_name=name)
    assert response.status_code == 422 and message in html(response)
    assert changed_tables(before, database_fingerprint(db.engine, THROTTLE)) == []
    assert CatalogFacade().list_kits() == [] and uploads(app) == []


def test_an_oversized_photo_is_refused_next_to_the_field(app, admin_client, fleets, kit_id):
    app.config["UPLOAD_MAX_MB"] = 1
    try:
        content = image_bytes(400, 300, "PNG") + bytes(1024 * 1024)  # over 1 MB
        response = edit(admin_client, fleets, kit_id, content, file_name="big.png")
        assert response.status_code == 422
        assert "larger than 1 MB" in html(response)
    finally:
        app.config["UPLOAD_MAX_MB"] = 10
    assert uploads(app) == [] and CatalogFacade().get_kit(kit_id).image is None


def test_a_too_long_photo_description_is_refused_next_to_its_field(
    app, admin_client, fleets, kit_id
):
    response = edit(admin_client, fleets, kit_id, image_alt="x" * 201)
    assert response.status_code == 422
    assert re.search(
        r'<small id="image_alt-error" class="field-error">[^<]*200 characters', html(response)
    )
    assert CatalogFacade().get_kit(kit_id).image_alt == ""


def test_a_valid_photo_with_another_field_wrong_asks_to_choose_it_again(
    app, admin_client, fleets, kit_id
):
    response = edit(admin_client, fleets, kit_id, image_bytes(400, 300), name="")
    assert response.status_code == 422
    assert "choose it again" in html(response)
    assert uploads(app) == []


def test_when_the_files_cannot_be_written_no_row_changes(
    app, admin_client, fleets, kit_id, monkeypatch
):
    monkeypatch.setitem(app.extensions, "images.store", FailingStore(app.config["UPLOADS_DIR"]))
    before = database_fingerprint(db.engine, THROTTLE)
    response = edit(admin_client, fleets, kit_id, image_bytes(400, 300), image_alt="New words")
    assert response.status_code == 503
    assert "could not be saved on the server" in html(response)
    assert changed_tables(before, database_fingerprint(db.engine, THROTTLE)) == []
    assert uploads(app) == []


def test_when_the_row_cannot_be_written_no_file_stays(
    app, admin_client, fleets, kit_id, monkeypatch
):
    def failing_save(self, kit):
        raise IntegrityError("UPDATE catalog_kits", {}, Exception("conflict"))

    monkeypatch.setattr(KitRepository, "save", failing_save)
    response = edit(admin_client, fleets, kit_id, image_bytes(400, 300))
    assert response.status_code == 409
    assert uploads(app) == []
    assert CatalogFacade().get_kit(kit_id).image is None


def test_the_demo_kits_have_photos_also_when_seeded_before_kits_had_them(app):
    seed_catalog()
    kits = CatalogFacade().list_kits()
    assert {kit.slug for kit in kits} == {"event-power-kit", "garden-clearance-kit"}
    assert all(kit.image is not None for kit in kits)
    assert len({kit.image.key for kit in kits}) == 2  # each its own picture
    # A demo database from before kits had photos: the next seeding adds them.
    for kit in kits:
        CatalogFacade().update_kit(
            UpdateKit(
                kit_id=kit.id,
                name=kit.name,
                slug=kit.slug,
                description=kit.description,
                discount_percent=kit.discount_percent,
                components=tuple(kit.components),
                remove_image=True,
            )
        )
    assert all(kit.image is None for kit in CatalogFacade().list_kits())
    seed_kits()
    again = CatalogFacade().list_kits()
    assert all(kit.image is not None for kit in again)
    assert {kit.image.key for kit in again} == {kit.image.key for kit in kits}  # the same
    for kit in again:
        assert Path(app.config["UPLOADS_DIR"], kit.image.file_name(600)).is_file()

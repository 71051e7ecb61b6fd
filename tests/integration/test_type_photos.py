"""Photos of equipment types through the admin form (real CSRF, both databases): uploaded,
shown on the catalog and the type page with their text alternative, replaced and removed;
every kind of bad upload is refused next to the field with nothing written — no row, no file;
a failed file write leaves no row and a failed row leaves no file; the files are served with
long cache headers."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.exc import IntegrityError

from rental.catalog import CatalogFacade
from rental.catalog.infrastructure.repositories import EquipmentTypeRepository
from rental.extensions import db
from rental.shared.images.store import FileSystemImageStore
from tests.integration.catalog_fixtures import make_type, price
from tests.support.auth import csrf_token
from tests.support.fingerprint import changed_tables, database_fingerprint
from tests.support.images import SVG_WITH_SCRIPT, bomb_png, image_bytes

THROTTLE = frozenset({"throttle_counters", "accounts_sessions"})


@pytest.fixture
def generator(app):
    type_id = make_type("Diesel generator", specs={"power_kw": 16}, slug="generator")
    price(type_id)
    return type_id


def uploads(app) -> list[str]:
    return sorted(p.name for p in Path(app.config["UPLOADS_DIR"]).iterdir())


def edit_form(client, type_id: str, **extra) -> dict:
    d = CatalogFacade().get_equipment_type_details(type_id)
    data = {
        "csrf_token": csrf_token(client, f"/admin/catalog/types/{type_id}/edit"),
        "name": d.name,
        "slug": d.slug,
        "category_id": d.category_id,
        "short_description": d.short_description,
        "description": d.description,
        "image_alt": d.image_alt,
        "active": "on",
    }
    data.update(extra)
    return data


def upload(client, type_id: str, content: bytes, name: str = "photo.jpg", **extra):
    data = edit_form(client, type_id, image=(io.BytesIO(content), name), **extra)
    return client.post(
        f"/admin/catalog/types/{type_id}", data=data, content_type="multipart/form-data"
    )


def html(response) -> str:
    return response.get_data(as_text=True)


def test_staff_upload_a_photo_and_the_catalog_and_type_page_show_it(
    app, admin_client, client, generator
):
    response = upload(
        admin_client,
        generator,
        image_bytes(1600, 1200, "JPEG"),
        name="IMG_0001.JPG",
        image_alt="Yellow diesel generator on wheels",
    )
    assert response.status_code == 303
    image = CatalogFacade().get_equipment_type_details(generator).image
    assert image is not None and (image.width, image.height) == (1200, 900)
    assert uploads(app) == sorted(image.file_names())  # only the variants, hashed names
    assert not any("IMG_0001" in name for name in uploads(app))

    catalog = html(client.get("/catalog"))
    card = re.search(r'<img src="/media/' + image.key + r'-600\.webp"[^>]*>', catalog)
    assert card, catalog
    assert 'alt="Yellow diesel generator on wheels"' in card.group(0)
    assert f"/media/{image.key}-200.webp 200w" in card.group(0)  # the thumbnail
    assert 'width="600" height="450"' in card.group(0)

    page = html(client.get("/catalog/generator"))
    hero = re.search(r'<img src="/media/' + image.key + r'-600\.webp"[^>]*>', page)
    assert hero and 'alt="Yellow diesel generator on wheels"' in hero.group(0)
    assert f"/media/{image.key}-1200.webp 1200w" in hero.group(0)
    assert f'content="http://localhost/media/{image.key}-1200.jpg"' in page  # og:image

    edit = html(admin_client.get(f"/admin/catalog/types/{generator}/edit"))
    assert 'enctype="multipart/form-data"' in edit and f"/media/{image.key}-200.webp" in edit
    assert 'name="remove_image"' in edit


def test_without_alt_text_the_name_describes_the_photo(app, admin_client, client, generator):
    assert upload(admin_client, generator, image_bytes(400, 300)).status_code == 303
    catalog = html(client.get("/catalog"))
    assert re.search(
        r'<img src="/media/[0-9a-f]{32}-600\.webp"[^>]*alt="Diesel generator"', catalog
    )


def test_a_new_type_can_be_created_with_its_photo(app, admin_client, generator):
    category = CatalogFacade().get_equipment_type_details(generator).category_id
    data = {
        "csrf_token": csrf_token(admin_client, "/admin/catalog/types/new"),
        "name": "Light tower",
        "category_id": category,
        "active": "on",
        "image": (io.BytesIO(image_bytes(800, 600, "WEBP")), "tower.webp"),
    }
    response = admin_client.post(
        "/admin/catalog/types", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    assert CatalogFacade().get_equipment_type_by_slug("light-tower").image is not None
    assert len(uploads(app)) == 4


def test_staff_replace_and_remove_the_photo_and_the_letter_tile_comes_back(
    app, admin_client, client, generator
):
    upload(admin_client, generator, image_bytes(400, 300, colour=(1, 2, 3)))
    first = CatalogFacade().get_equipment_type_details(generator).image
    upload(admin_client, generator, image_bytes(400, 300, colour=(9, 9, 9)))
    second = CatalogFacade().get_equipment_type_details(generator).image
    assert second.key != first.key
    assert uploads(app) == sorted(second.file_names())  # the replaced photo's files are gone

    data = edit_form(admin_client, generator, remove_image="on")
    response = admin_client.post(f"/admin/catalog/types/{generator}", data=data)
    assert response.status_code == 303
    assert CatalogFacade().get_equipment_type_details(generator).image is None
    assert uploads(app) == []
    catalog = html(client.get("/catalog"))
    assert "/media/" not in catalog
    assert '<div class="type-thumb" aria-hidden="true"><span>D</span></div>' in catalog


def test_a_photo_two_types_share_stays_until_neither_shows_it(app, admin_client, generator):
    other = make_type("Petrol generator")
    photo = image_bytes(400, 300)
    upload(admin_client, generator, photo)
    upload(admin_client, other, photo)
    key = CatalogFacade().get_equipment_type_details(other).image.key
    admin_client.post(
        f"/admin/catalog/types/{generator}",
        data=edit_form(admin_client, generator, remove_image="on"),
    )
    assert len(uploads(app)) == 4 and all(n.startswith(key) for n in uploads(app))


def _noise_png(side: int) -> bytes:
    picture = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


BAD_UPLOADS = {
    "wrong type": (b"GIF89a" + bytes(200), "photo.jpg", "JPEG, PNG or WebP"),
    "pdf": (b"%PDF-1.7\n" + bytes(200), "photo.png", "JPEG, PNG or WebP"),
    "truncated": (image_bytes(800, 600, "JPEG")[:3000], "photo.jpg", "cut off or damaged"),
    "decompression bomb": (bomb_png(), "photo.png", "megapixels"),
    "svg with script": (SVG_WITH_SCRIPT, "photo.svg", "SVG"),
    "path traversal": (image_bytes(100, 100), "../../etc/passwd", "folder path"),
}


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_next_to_the_field_and_write_nothing(
    app, admin_client, generator, kind
):
    content, name, message = BAD_UPLOADS[kind]
    before = database_fingerprint(db.engine, THROTTLE)
    response = upload(admin_client, generator, content, name=name, description="Kept as typed")
    assert response.status_code == 422
    body = html(response)
    error = re.search(r'<small id="image-error" class="field-error">([^<]*)</small>', body)
    assert error and message in error.group(1).replace("&#39;", "'"), body
    assert 'id="image" name="image"' in body and 'aria-describedby="image-error' in body
    assert "Kept as typed" in body  # the rest of the form keeps what was typed
    assert changed_tables(before, database_fingerprint(db.engine, THROTTLE)) == []
    assert uploads(app) == []
    assert not Path("/etc/passwd.webp").exists()


def test_a_file_over_the_limit_is_refused_next_to_the_field(app, admin_client, generator):
    app.config["UPLOAD_MAX_MB"] = 1
    try:
        content = _noise_png(640)  # ~1.2 MB: over the limit, within the request's room
        assert 1024 * 1024 < len(content) < 1024 * 1024 + 512 * 1024
        response = upload(admin_client, generator, content, name="big.png")
        assert response.status_code == 422
        assert "larger than 1 MB" in html(response)
        assert uploads(app) == []
        # Far over it: the request itself is refused (413) with the limit in plain words.
        response = upload(admin_client, generator, content * 2, name="huge.png")
        assert response.status_code == 413
        assert "A photo may be at most 1 MB" in html(response)
    finally:
        app.config["UPLOAD_MAX_MB"] = 10
    assert CatalogFacade().get_equipment_type_details(generator).image is None


def test_other_requests_keep_the_small_limit(app, admin_client, generator):
    token = csrf_token(admin_client, "/admin/catalog/categories")
    response = admin_client.post(
        "/admin/catalog/categories", data={"csrf_token": token, "name": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_a_valid_photo_with_another_field_wrong_asks_to_choose_it_again(
    app, admin_client, generator
):
    data = edit_form(admin_client, generator, image=(io.BytesIO(image_bytes(400, 300)), "a.png"))
    data["name"] = ""
    response = admin_client.post(
        f"/admin/catalog/types/{generator}", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "choose it again" in html(response)
    assert uploads(app) == []


class FailingStore(FileSystemImageStore):
    def _write(self, target, data):
        raise OSError(28, "No space left on device")


def test_when_the_files_cannot_be_written_no_row_changes(app, admin_client, generator, monkeypatch):
    monkeypatch.setitem(app.extensions, "images.store", FailingStore(app.config["UPLOADS_DIR"]))
    before = database_fingerprint(db.engine, THROTTLE)
    response = upload(admin_client, generator, image_bytes(400, 300), image_alt="New words")
    assert response.status_code == 503
    assert "could not be saved on the server" in html(response)
    assert changed_tables(before, database_fingerprint(db.engine, THROTTLE)) == []
    assert uploads(app) == []


def test_when_the_row_cannot_be_written_no_file_stays(app, admin_client, generator, monkeypatch):
    def failing_save(self, equipment_type):
        raise IntegrityError("UPDATE catalog_equipment_types", {}, Exception("conflict"))

    monkeypatch.setattr(EquipmentTypeRepository, "save", failing_save)
    response = upload(admin_client, generator, image_bytes(400, 300))
    assert response.status_code == 409
    assert uploads(app) == []
    assert CatalogFacade().get_equipment_type_details(generator).image is None


def test_photos_are_served_with_long_cache_headers_and_their_type(
    app, admin_client, client, generator
):
    upload(admin_client, generator, image_bytes(400, 300))
    image = CatalogFacade().get_equipment_type_details(generator).image
    for name, media_type in (
        (image.file_name(200), "image/webp"),
        (image.file_name(1200, "jpg"), "image/jpeg"),
    ):
        response = client.get(f"/media/{name}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == media_type
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        again = client.get(f"/media/{name}", headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    with Image.open(io.BytesIO(client.get(f"/media/{image.file_name(200)}").data)) as thumb:
        assert thumb.size == (200, 150)


@pytest.mark.parametrize(
    "path",
    [
        "/media/0123456789abcdef0123456789abcdef-200.webp",  # well-formed, not there
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2E%2E%2Fsecret_key",
        "/media/secret_key",
        "/media/0123456789abcdef0123456789abcdef-201.webp",
    ],
)
def test_only_stored_variants_are_served(client, path):
    assert client.get(path).status_code == 404

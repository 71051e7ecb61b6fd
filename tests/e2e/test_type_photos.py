"""A staff member uploads a photo for an equipment type in a real browser and sees it in the
catalog; a bad file is refused next to the field. The same for a kit: its photo on the kits
list and the kit page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rental.catalog import CatalogFacade, DefineKit, KitComponent
from tests.integration.catalog_fixtures import make_type, price
from tests.support.images import SVG_WITH_SCRIPT, image_bytes

pytestmark = pytest.mark.e2e


def test_staff_upload_a_photo_and_see_it_in_the_catalog(staff_page: Page, live_server, tmp_path):
    with live_server.app.app_context():
        type_id = make_type("Diesel generator", slug="generator")
        price(type_id)
    page = staff_page
    page.goto(f"{live_server.url}/admin/catalog/types/{type_id}/edit")
    drawing = tmp_path / "drawing.svg"
    drawing.write_bytes(SVG_WITH_SCRIPT)
    page.get_by_label("Photo (optional)", exact=True).set_input_files(str(drawing))
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#image-error")).to_contain_text("SVG")
    expect(page.get_by_label("Photo (optional)", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )

    errors: list[str] = []  # from here on (the refusal above is a 422 on purpose)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(image_bytes(1600, 1200, "JPEG"))
    page.get_by_label("Photo (optional)", exact=True).set_input_files(str(photo))
    page.get_by_label("Describe the photo").fill("Yellow diesel generator on wheels")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(r"/admin/catalog/$"))

    page.goto(live_server.url + "/catalog")
    picture = page.get_by_role("img", name="Yellow diesel generator on wheels")
    expect(picture).to_be_visible()
    expect(picture).to_have_attribute("src", re.compile(r"^/media/[0-9a-f]{32}-600\.webp$"))
    # The browser really loaded and decoded it (not a broken image).
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")

    page.get_by_role("link", name="Diesel generator").click()
    hero = page.get_by_role("img", name="Yellow diesel generator on wheels")
    expect(hero).to_be_visible()
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0")
    assert re.search(r"/media/[0-9a-f]{32}-(600|1200)\.webp$", hero.evaluate("i => i.currentSrc"))
    assert errors == [], errors


def test_staff_upload_a_kit_photo_and_see_it_on_the_kit_page(
    staff_page: Page, live_server, tmp_path
):
    with live_server.app.app_context():
        generator = make_type("Diesel generator", slug="generator")
        price(generator)
        kit_id = CatalogFacade().define_kit(
            DefineKit(
                name="Event power kit",
                slug="event-power-kit",
                components=(KitComponent(generator, 2),),
            )
        )
    page = staff_page
    page.goto(f"{live_server.url}/admin/catalog/kits/{kit_id}/edit")
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    photo = tmp_path / "kit.png"
    photo.write_bytes(image_bytes(1200, 900, "PNG"))
    page.get_by_label("Photo (optional)", exact=True).set_input_files(str(photo))
    page.get_by_label("Describe the photo").fill("Two diesel generators side by side")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(r"/admin/catalog/kits$"))

    page.goto(f"{live_server.url}/admin/catalog/kits/{kit_id}/edit")  # the preview
    expect(page.get_by_role("img", name="Two diesel generators side by side")).to_be_visible()

    page.goto(live_server.url + "/catalog/kits")
    card = page.get_by_role("img", name="Two diesel generators side by side")
    expect(card).to_be_visible()
    assert card.evaluate("img => img.complete && img.naturalWidth > 0")
    page.get_by_role("link", name="Event power kit").click()
    expect(page).to_have_url(re.compile(r"/catalog/kits/event-power-kit$"))
    hero = page.get_by_role("img", name="Two diesel generators side by side")
    expect(hero).to_be_visible()
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0")
    assert re.search(r"/media/[0-9a-f]{32}-(600|1200)\.webp$", hero.evaluate("i => i.currentSrc"))
    og = page.locator('meta[property="og:image"]').get_attribute("content")
    assert re.search(r"/media/[0-9a-f]{32}-1200\.jpg$", og or "")
    assert errors == [], errors

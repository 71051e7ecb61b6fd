"""Demo catalog: two levels of categories and realistic equipment types (idempotent)."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from rental.catalog.application.commands import (
    CreateCategory,
    DefineEquipmentType,
    DefineKit,
    UpdateEquipmentType,
    UpdateKit,
)
from rental.catalog.application.queries import KitDetails
from rental.catalog.demo_photos import demo_photo
from rental.catalog.domain.kits import KitComponent
from rental.catalog.facade import CatalogFacade
from rental.shared.errors import NotFoundError, ValidationError

CATEGORIES = [
    # (slug, name, parent slug)
    ("construction", "Construction Equipment", None),
    ("excavators", "Excavators", "construction"),
    ("concrete", "Concrete & Compaction", "construction"),
    ("access", "Access Equipment", None),
    ("scissor-lifts", "Scissor Lifts", "access"),
    ("boom-lifts", "Boom Lifts", "access"),
    ("power", "Power & Cleaning", None),
    ("generators", "Generators", "power"),
    ("cleaning", "Cleaning", "power"),
]

TYPES = [
    (
        "mini-excavator",
        "Mini excavator 1.8 t",
        "excavators",
        "Compact tracked excavator that fits through a garden gate.",
        "Dig foundations, trenches and ponds in tight spaces. Rubber tracks protect lawns and "
        "paving; the retractable undercarriage gets through openings under a metre wide.\n\n"
        "Delivered with a 300 mm and a 600 mm bucket. A short introduction is included.",
        {
            "weight_kg": 1800,
            "dig_depth_m": 2.4,
            "power_kw": 11.2,
            "fuel": "diesel",
            "width_cm": 99,
            "licence_required": False,
        },
    ),
    (
        "midi-excavator",
        "Midi excavator 5 t",
        "excavators",
        "Strong enough for drainage and groundworks, small enough for a trailer.",
        "A 5-tonne tracked excavator with a zero tail swing, so you can work right next to a "
        "wall.\n\nComes with three buckets and a quick hitch.",
        {
            "weight_kg": 5000,
            "dig_depth_m": 3.8,
            "power_kw": 29.1,
            "fuel": "diesel",
            "width_cm": 196,
            "licence_required": True,
        },
    ),
    (
        "concrete-mixer",
        "Concrete mixer 140 l",
        "concrete",
        "Electric drum mixer for small pours and mortar.",
        "Mixes up to 140 litres per batch: enough for fence posts, paths and small slabs. "
        "Runs on a normal 230 V socket.",
        {
            "drum_volume_l": 140,
            "power_kw": 0.65,
            "weight_kg": 58,
            "fuel": "electric",
            "voltage_v": 230,
        },
    ),
    (
        "plate-compactor",
        "Plate compactor 90 kg",
        "concrete",
        "Compacts sand, gravel and paving before and after laying.",
        "A forward plate compactor with a water tank for asphalt work and a pad for block paving.",
        {"weight_kg": 90, "power_kw": 4.1, "fuel": "petrol", "plate_width_cm": 50},
    ),
    (
        "scissor-lift-8m",
        "Scissor lift 8 m electric",
        "scissor-lifts",
        "Quiet, emission-free lift for indoor work at height.",
        "Non-marking tyres, a roll-out deck extension and a 230 kg platform load. Ideal for "
        "ceilings, installations and warehouse work.",
        {
            "working_height_m": 8,
            "platform_load_kg": 230,
            "weight_kg": 1950,
            "fuel": "electric",
            "indoor_use": True,
        },
    ),
    (
        "scissor-lift-12m",
        "Scissor lift 12 m rough terrain",
        "scissor-lifts",
        "Four-wheel-drive lift for building sites.",
        "Outriggers level the platform on uneven ground; the large deck takes three people "
        "with tools.",
        {
            "working_height_m": 12,
            "platform_load_kg": 450,
            "weight_kg": 4200,
            "fuel": "diesel",
            "indoor_use": False,
        },
    ),
    (
        "boom-lift-16m",
        "Articulated boom lift 16 m",
        "boom-lifts",
        "Reach up and over obstacles.",
        "An articulating boom with 7.5 m outreach, for facades, trees and roof work.",
        {
            "working_height_m": 16,
            "outreach_m": 7.5,
            "platform_load_kg": 230,
            "fuel": "diesel",
            "weight_kg": 6900,
        },
    ),
    (
        "generator",
        "Diesel generator 20 kVA",
        "generators",
        "Silent site generator for tools, lighting and events.",
        "A super-silenced 20 kVA diesel generator with 230 V and 400 V outlets. Runs a full "
        "working day on one tank.\n\nDelivered with a fuel gauge, earth spike and a full tank.",
        {
            "power_kva": 20,
            "power_kw": 16,
            "fuel": "diesel",
            "noise_db": 66,
            "weight_kg": 620,
            "tank_l": 60,
        },
    ),
    (
        "petrol-generator-3kva",
        "Petrol generator 3 kVA",
        "generators",
        "Light, portable power for a few tools or a market stall.",
        "An inverter generator that is safe for laptops and chargers, light enough for one "
        "person to carry.",
        {
            "power_kva": 3,
            "power_kw": 2.8,
            "fuel": "petrol",
            "noise_db": 58,
            "weight_kg": 27,
            "tank_l": 6,
        },
    ),
    (
        "pressure-washer",
        "Pressure washer 200 bar",
        "cleaning",
        "Petrol pressure washer for patios, machines and facades.",
        "200 bar at 15 l/min removes moss, mud and old paint. Comes with a surface cleaner and "
        "a 15 m hose.",
        {
            "pressure_bar": 200,
            "flow_l_min": 15,
            "fuel": "petrol",
            "weight_kg": 38,
            "hot_water": False,
        },
    ),
    (
        "hot-water-pressure-washer",
        "Hot water pressure washer 150 bar",
        "cleaning",
        "Hot water cuts through grease and oil.",
        "Diesel-heated water up to 80 °C for workshops, kitchens and vehicles.",
        {
            "pressure_bar": 150,
            "flow_l_min": 12,
            "fuel": "diesel",
            "weight_kg": 140,
            "hot_water": True,
        },
    ),
    (
        "floor-scrubber",
        "Floor scrubber dryer",
        "cleaning",
        "Cleans and dries large floors in one pass.",
        "Battery walk-behind scrubber for warehouses, shops and halls.",
        {"cleaning_width_cm": 50, "tank_l": 40, "fuel": "electric", "weight_kg": 110},
    ),
    (
        "dumper",
        "Tracked dumper 500 kg",
        "construction",
        "Moves soil, gravel and rubble where a wheelbarrow gives up.",
        "A tracked mini dumper with a high-tip skip, 80 cm wide.",
        {"payload_kg": 500, "width_cm": 80, "fuel": "petrol", "weight_kg": 430},
    ),
]


def seed_catalog() -> None:
    catalog = CatalogFacade()
    ids: dict[str, str] = {}
    for slug, name, parent in CATEGORIES:
        existing = catalog.get_category_by_slug(slug)
        if existing is not None:
            ids[slug] = existing.id
            continue
        ids[slug] = catalog.create_category(
            CreateCategory(name=name, slug=slug, parent_id=ids.get(parent) if parent else None)
        )
    for slug, name, category, short, description, specs in TYPES:
        try:
            existing = catalog.get_equipment_type_by_slug(slug)
        except NotFoundError:  # not there yet
            existing = None
        if existing is None:
            catalog.define_equipment_type(
                DefineEquipmentType(
                    name=name,
                    slug=slug,
                    category_id=ids[category],
                    short_description=short,
                    description=description,
                    specs=specs,
                    new_image=demo_photo(name, category),
                )
            )
        elif existing.image is None:  # seeded before demo types had photos
            catalog.update_equipment_type(
                UpdateEquipmentType(
                    equipment_type_id=existing.id,
                    name=existing.name,
                    slug=existing.slug,
                    category_id=existing.category_id,
                    short_description=existing.short_description,
                    description=existing.description,
                    specs=dict(existing.specs),
                    active=existing.active,
                    image_alt=existing.image_alt,
                    new_image=demo_photo(existing.name, category),
                )
            )
    seed_kits()


# Demo kits: (slug, name, description, discount %, [(type slug, quantity)]).
KITS = [
    (
        "event-power-kit",
        "Event power kit",
        "Power for an outdoor event: the diesel generator for the stage and two small petrol "
        "generators for stalls and lighting.",
        Decimal(15),
        [("generator", 1), ("petrol-generator-3kva", 2)],
    ),
    (
        "garden-clearance-kit",
        "Garden clearance kit",
        "Dig out, carry away and level: a mini excavator, a dumper and a plate compactor for "
        "the weekend.",
        Decimal(10),
        [("mini-excavator", 1), ("dumper", 1), ("plate-compactor", 1)],
    ),
]


# The look of each demo kit's photo: the category of its main component (demo_photo).
KIT_PHOTOS = {"event-power-kit": "generators", "garden-clearance-kit": "construction"}


def seed_kits() -> None:
    catalog = CatalogFacade()
    existing = {kit.slug: kit for kit in catalog.list_kits()}
    for slug, name, description, discount, parts in KITS:
        kit = existing.get(slug)
        if kit is not None:
            if kit.image is None:  # seeded before demo kits had photos
                _add_demo_photo(catalog, kit, KIT_PHOTOS.get(slug, ""))
            continue
        try:
            ids = [catalog.get_equipment_type_by_slug(t).id for t, _ in parts]
        except NotFoundError:  # a demo type was renamed or removed: no kit
            continue
        catalog.define_kit(
            DefineKit(
                name=name,
                slug=slug,
                description=description,
                discount_percent=discount,
                components=tuple(KitComponent(i, q) for i, (_, q) in zip(ids, parts, strict=True)),
                new_image=demo_photo(name, KIT_PHOTOS.get(slug, "")),
            )
        )


def _add_demo_photo(catalog: CatalogFacade, kit: KitDetails, look: str) -> None:
    """A demo kit seeded before demo kits had photos gets one; one staff have since made
    unsaveable (a component deactivated) is left as it is."""
    with contextlib.suppress(ValidationError):
        catalog.update_kit(
            UpdateKit(
                kit_id=kit.id,
                name=kit.name,
                slug=kit.slug,
                description=kit.description,
                discount_percent=kit.discount_percent,
                components=tuple(kit.components),
                active=kit.active,
                image_alt=kit.image_alt,
                new_image=demo_photo(kit.name, look),
            )
        )

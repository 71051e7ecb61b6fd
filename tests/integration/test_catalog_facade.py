"""CatalogFacade on SQLite and PostgreSQL: categories, types, search, details."""

from __future__ import annotations

import pytest

from rental.catalog import (
    CatalogFacade,
    CreateCategory,
    DefineEquipmentType,
    DeleteCategory,
    MoveCategory,
    RenameCategory,
    SearchEquipmentTypes,
    SpecFilter,
    UpdateEquipmentType,
)
from rental.shared.errors import ConflictError, NotFoundError, ValidationError


@pytest.fixture
def catalog(app) -> CatalogFacade:
    return CatalogFacade()


@pytest.fixture
def tree(catalog):
    construction = catalog.create_category(CreateCategory("Construction Tools"))
    excavators = catalog.create_category(CreateCategory("Excavators", parent_id=construction))
    power = catalog.create_category(CreateCategory("Power"))
    return {"construction": construction, "excavators": excavators, "power": power}


def define(catalog, name, category, specs=None, **kw):
    return catalog.define_equipment_type(
        DefineEquipmentType(name=name, category_id=category, specs=specs or {}, **kw)
    )


def test_category_tree_with_slugs_and_counts(catalog, tree):
    define(catalog, "Mini excavator", tree["excavators"])
    roots = catalog.get_category_tree()
    assert [(n.name, n.slug, n.type_count) for n in roots] == [
        ("Construction Tools", "construction-tools", 1),
        ("Power", "power", 0),
    ]
    assert [c.name for c in roots[0].children] == ["Excavators"]


def test_rename_and_move_and_cycle_refused(catalog, tree):
    catalog.rename_category(RenameCategory(tree["power"], "Power & Light"))
    catalog.move_category(MoveCategory(tree["power"], tree["construction"]))
    with pytest.raises(ValidationError, match="own sub-categories"):
        catalog.move_category(MoveCategory(tree["construction"], tree["excavators"]))
    names = {c.name: c.depth for c in catalog.list_categories()}
    assert names == {"Construction Tools": 0, "Excavators": 1, "Power & Light": 1}


def test_duplicate_category_slug_is_refused(catalog, tree):
    with pytest.raises(ValidationError, match="already exists"):
        catalog.create_category(CreateCategory("power"))


def test_delete_only_when_empty(catalog, tree):
    define(catalog, "Mini excavator", tree["excavators"])
    with pytest.raises(ConflictError, match="sub-categories"):
        catalog.delete_category(DeleteCategory(tree["construction"]))
    with pytest.raises(ConflictError, match="1 equipment type"):
        catalog.delete_category(DeleteCategory(tree["excavators"]))
    catalog.delete_category(DeleteCategory(tree["power"]))
    assert catalog.get_category_by_slug("power") is None


def test_define_and_read_details_and_summaries(catalog, tree):
    type_id = define(
        catalog,
        "Mini excavator 1.8 t",
        tree["excavators"],
        {"weight_kg": 1800, "fuel": "diesel", "licence_required": False, "dig_depth_m": 2.4},
        short_description="Fits through a gate.",
        description="First.\n\nSecond.",
    )
    d = catalog.get_equipment_type_details(type_id)
    assert d.slug == "mini-excavator-1-8-t"
    assert d.category_path == [
        ("construction-tools", "Construction Tools"),
        ("excavators", "Excavators"),
    ]
    assert catalog.get_equipment_type_by_slug(d.slug) == d
    assert d.specs == {
        "weight_kg": 1800,
        "fuel": "diesel",
        "licence_required": False,
        "dig_depth_m": 2.4,
    }
    assert d.paragraphs == ["First.", "Second."]
    assert catalog.get_equipment_type_by_slug(d.slug).id == type_id
    assert catalog.equipment_type_exists(type_id) and not catalog.equipment_type_exists("nope")
    summaries = catalog.get_equipment_type_summaries([type_id, "missing"])
    assert list(summaries) == [type_id] and summaries[type_id].name == "Mini excavator 1.8 t"
    with pytest.raises(NotFoundError):
        catalog.get_equipment_type_details("missing")
    with pytest.raises(NotFoundError):
        catalog.get_equipment_type_by_slug("missing")


def test_a_type_read_with_the_statement_built_once_shows_each_type_as_it_is_now(catalog, tree):
    """The type lookup and "similar" statements are built once per process with bind
    parameters: each call reads its own type, and the current rows (a move is seen)."""
    mini = define(catalog, "Mini excavator", tree["excavators"], {"weight_kg": 1800})
    midi = define(catalog, "Midi excavator", tree["excavators"], {"weight_kg": 5000})
    lamp = define(catalog, "Light tower", tree["power"])
    assert catalog.get_equipment_type_by_slug("light-tower").category_path == [("power", "Power")]
    assert catalog.get_equipment_type_details(mini).name == "Mini excavator"
    assert [t.id for t in catalog.similar_types(mini)] == [midi]
    assert [t.id for t in catalog.similar_types(midi)] == [mini]
    catalog.move_category(MoveCategory(tree["excavators"], tree["power"]))
    assert catalog.get_equipment_type_by_slug("mini-excavator").category_path == [
        ("power", "Power"),
        ("excavators", "Excavators"),
    ]
    assert catalog.get_equipment_type_details(lamp).category_path == [("power", "Power")]


def test_slug_must_be_unique_and_category_must_exist(catalog, tree):
    define(catalog, "Generator", tree["power"])
    with pytest.raises(ValidationError) as err:
        define(catalog, "Generator", "no-such-category")
    assert set(err.value.errors) == {"slug", "category_id"}


def test_update_reindexes_specs_and_can_hide_the_type(catalog, tree):
    type_id = define(catalog, "Generator", tree["power"], {"power_kw": 5})
    catalog.update_equipment_type(
        UpdateEquipmentType(
            type_id, "Generator", tree["power"], specs={"power_kw": 20}, active=False
        )
    )
    search = catalog.search_equipment_types
    assert search(SearchEquipmentTypes(text="generator")).total == 0
    hidden = search(
        SearchEquipmentTypes(
            spec_filters=(SpecFilter("power_kw", minimum=10),), include_inactive=True
        )
    )
    assert [t.id for t in hidden.items] == [type_id]
    other = define(catalog, "Light tower", tree["power"], {"power_kw": 2})
    assert catalog.similar_types(other) == []


@pytest.fixture
def stocked(catalog, tree):
    ids = {
        "mini": define(
            catalog, "Mini excavator", tree["excavators"], {"weight_kg": 1800, "fuel": "diesel"}
        ),
        "midi": define(
            catalog, "Midi excavator", tree["excavators"], {"weight_kg": 5000, "fuel": "Diesel"}
        ),
        "drill": define(
            catalog, "Core drill", tree["construction"], {"weight_kg": 20, "fuel": "electric"}
        ),
        "gen": define(
            catalog,
            "Silent generator",
            tree["power"],
            {"power_kw": 16, "fuel": "diesel"},
            description="Super-silenced for events.",
        ),
    }
    return ids


def names(result):
    return [t.name for t in result.items]


def test_free_text_searches_names_descriptions_and_spec_values(catalog, stocked):
    search = catalog.search_equipment_types
    assert names(search(SearchEquipmentTypes(text="EXCAVATOR"))) == [
        "Midi excavator",
        "Mini excavator",
    ]
    assert names(search(SearchEquipmentTypes(text="events"))) == ["Silent generator"]
    assert names(search(SearchEquipmentTypes(text="electric"))) == ["Core drill"]
    assert search(SearchEquipmentTypes(text="100%_")).total == 0


def test_category_filter_includes_sub_categories(catalog, tree, stocked):
    result = catalog.search_equipment_types(SearchEquipmentTypes(category_id=tree["construction"]))
    assert names(result) == ["Core drill", "Midi excavator", "Mini excavator"]


def test_spec_filters_equality_for_text_and_ranges_for_numbers(catalog, stocked):
    search = catalog.search_equipment_types
    diesel = SpecFilter("fuel", equals="diesel")
    assert names(search(SearchEquipmentTypes(spec_filters=(diesel,)))) == [
        "Midi excavator",
        "Mini excavator",
        "Silent generator",
    ]
    light = SpecFilter("weight_kg", minimum=100, maximum=2000)
    assert names(search(SearchEquipmentTypes(spec_filters=(diesel, light)))) == ["Mini excavator"]


def test_sorting_and_pagination(catalog, stocked):
    search = catalog.search_equipment_types
    page2 = search(SearchEquipmentTypes(sort="name_desc", page=2, page_size=3))
    assert (page2.total, page2.pages, page2.page, names(page2)) == (4, 2, 2, ["Core drill"])
    assert search(SearchEquipmentTypes(page=99, page_size=3)).page == 2  # clamped


def test_spec_facets_offer_shared_keys(catalog, stocked):
    facets = {f.key: f for f in catalog.get_spec_facets()}
    assert facets["weight_kg"].minimum == 20 and facets["weight_kg"].maximum == 5000
    assert set(facets["fuel"].options) >= {"diesel", "electric"}
    assert "power_kw" not in facets  # only one type has it


def test_similar_types_are_the_other_active_types_of_the_same_category(catalog, tree, stocked):
    define(catalog, "Compact excavator", tree["excavators"], active=False)
    define(catalog, "Large excavator", tree["excavators"])
    similar = catalog.similar_types(stocked["mini"])
    # Not itself, not the hidden one, not the parent category's core drill; the one sharing
    # a number (weight) before the one with nothing to compare.
    assert [t.name for t in similar] == ["Midi excavator", "Large excavator"]
    assert similar[0].category_name == "Excavators"
    assert [t.name for t in catalog.similar_types(stocked["mini"], limit=1)] == ["Midi excavator"]
    assert catalog.similar_types(stocked["gen"]) == []  # alone in its category
    assert catalog.similar_types("no-such-type") == []


def test_similar_means_comparable_specs_ranked_by_closeness(catalog, tree):
    """A 20 kVA diesel generator is not offered a 3 kVA petrol one: power within ±25 % and the
    same fuel, closest first."""
    power = tree["power"]
    asked = define(catalog, "Diesel 20 kVA", power, {"power_kva": 20, "fuel": "diesel"})
    define(catalog, "Petrol 3 kVA", power, {"power_kva": 3, "fuel": "petrol"})
    define(catalog, "Diesel 3 kVA", power, {"power_kva": 3, "fuel": "diesel"})
    define(catalog, "Petrol 20 kVA", power, {"power_kva": 20, "fuel": "petrol"})
    define(catalog, "Diesel 24 kVA", power, {"power_kva": 24, "fuel": "Diesel"})
    define(catalog, "Diesel 19 kVA", power, {"power_kva": 19, "fuel": "diesel"})
    define(catalog, "Diesel 26 kVA", power, {"power_kva": 26, "fuel": "diesel"})  # +30 %
    define(catalog, "Light tower", power, {"fuel": "diesel"})  # nothing to compare
    similar = [t.name for t in catalog.similar_types(asked)]
    assert similar == ["Diesel 19 kVA", "Diesel 24 kVA", "Light tower"]

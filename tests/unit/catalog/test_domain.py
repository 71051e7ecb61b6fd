"""Catalog domain rules: the category tree never gets a cycle; specs are typed."""

import pytest

from rental.catalog.domain.models import (
    EquipmentType,
    descendants,
    ensure_no_cycle,
    ensure_spec_numbers_in_range,
    format_spec_value,
    parse_spec_rows,
    search_text,
    slugify,
    spec_label,
)
from rental.shared.errors import ValidationError

# construction > excavators > mini ; access
PARENTS = {"construction": None, "excavators": "construction", "mini": "excavators", "access": None}


def test_moving_under_an_unrelated_category_or_to_the_top_is_fine():
    ensure_no_cycle(PARENTS, "excavators", "access")
    ensure_no_cycle(PARENTS, "mini", None)
    ensure_no_cycle(PARENTS, "access", "mini")


def test_a_category_cannot_be_its_own_parent():
    with pytest.raises(ValidationError, match="its own parent"):
        ensure_no_cycle(PARENTS, "access", "access")


@pytest.mark.parametrize("below", ["excavators", "mini"])
def test_a_category_cannot_move_under_its_own_descendant(below):
    with pytest.raises(ValidationError, match="inside one of its own sub-categories") as err:
        ensure_no_cycle(PARENTS, "construction", below)
    assert err.value.field == "parent_id"


def test_descendants():
    # (The path from the root down to a category is read by one recursive query: see
    # test_define_and_read_details_and_summaries in tests/integration/test_catalog_facade.py.)
    assert descendants(PARENTS, "construction") == {"construction", "excavators", "mini"}
    assert descendants(PARENTS, "access") == {"access"}


def test_slugify():
    assert slugify("Scissor Lift 8 m") == "scissor-lift-8-m"
    assert slugify("  Bagger & Lader: Größe XL ") == "bagger-lader-grosse-xl"


def test_spec_rows_become_typed_values_and_blank_rows_are_ignored():
    specs = parse_spec_rows(
        [
            ("power_kw", "number", "5,5"),
            ("Weight kg", "number", "1200"),
            ("fuel", "text", " diesel "),
            ("indoor_use", "yes_no", "Yes"),
            ("", "number", ""),
        ]
    )
    assert specs == {"power_kw": 5.5, "weight_kg": 1200, "fuel": "diesel", "indoor_use": True}
    assert isinstance(specs["weight_kg"], int)


def test_each_faulty_spec_row_is_reported_on_its_own_row():
    with pytest.raises(ValidationError) as err:
        parse_spec_rows(
            [("power_kw", "number", "lots"), ("fuel", "text", "diesel"), ("fuel", "text", "x")]
        )
    assert set(err.value.errors) == {"spec-0", "spec-2"}
    assert "as a number" in err.value.errors["spec-0"]
    assert "already given" in err.value.errors["spec-2"]


def test_spec_labels_show_units():
    assert spec_label("power_kw") == "Power (kW)"
    assert spec_label("flow_l_min") == "Flow (l/min)"
    assert spec_label("fuel") == "Fuel"


def test_search_text_covers_names_descriptions_and_spec_values():
    text = search_text("Generator", "Silent", "Long text", {"fuel": "Diesel", "power_kw": 5.5})
    assert "diesel" in text and "5.5" in text and "silent" in text


def test_equipment_type_validates_its_fields():
    with pytest.raises(ValidationError, match="name"):
        EquipmentType(id="1", name="  ", slug="x", category_id="c")
    with pytest.raises(ValidationError, match="description under 200") as caught:
        EquipmentType(id="1", name="X", slug="x", category_id="c", image_alt="x" * 201)
    assert caught.value.field == "image_alt"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e309", "as a number, e.g. 16"),  # no exponents: the shared parser's rule
        ("99999999999999", "between -1,000,000,000 and 1,000,000,000"),
        ("-1000000000.5", "between -1,000,000,000 and 1,000,000,000"),
        ("0.00001", "at most 4 decimals"),
        ("Infinity", "as a number, e.g. 16"),
    ],
)
def test_spec_numbers_out_of_range_are_refused_on_their_row(raw, message):
    with pytest.raises(ValidationError) as err:
        parse_spec_rows([("weight_kg", "number", raw)])
    assert message in err.value.errors["spec-0"]


def test_spec_numbers_within_range_keep_their_value_and_read_plainly():
    specs = parse_spec_rows(
        [
            ("min_temp_c", "number", "-20"),
            ("flow_l_h", "number", "1000000000"),
            ("pitch_mm", "number", "1234567.0625"),
        ]
    )
    assert specs == {"min_temp_c": -20, "flow_l_h": 1_000_000_000, "pitch_mm": 1234567.0625}
    assert format_spec_value(specs["pitch_mm"]) == "1234567.0625"  # not 1.23457e+06
    assert format_spec_value(16.5) == "16.5" and format_spec_value(0.1 + 0.2) == "0.3"


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**12, -2e9, 0.123456])
def test_spec_numbers_given_as_values_are_checked_too(value):
    with pytest.raises(ValidationError):
        ensure_spec_numbers_in_range({"weight_kg": value})
    ensure_spec_numbers_in_range({"weight_kg": 30, "power_kw": 5.5, "indoor": True})

"""The catalog's one rule for "similar" (rental/catalog/domain/models.py): the same fuel and
power within ±25 % when both types say, ranked by how close their numbers are."""

from __future__ import annotations

import pytest

from rental.catalog.domain.models import rank_similar, similarity_distance

ASKED = {"power_kva": 20, "power_kw": 16, "fuel": "diesel", "weight_kg": 620}


@pytest.mark.parametrize(
    ("other", "comparable"),
    [
        ({"power_kva": 3, "power_kw": 2.8, "fuel": "petrol"}, False),  # the example
        ({"power_kva": 3, "fuel": "diesel"}, False),  # same fuel, far too small
        ({"power_kva": 20, "fuel": "petrol"}, False),  # same power, other fuel
        ({"power_kva": 25, "fuel": "Diesel "}, True),  # +25 %, fuel letter case ignored
        ({"power_kva": 25.5, "fuel": "diesel"}, False),  # beyond +25 %
        ({"power_kva": 15, "fuel": "diesel"}, True),  # -25 %
        ({"fuel": "diesel"}, True),  # nothing says otherwise
        ({"power_kva": 20}, True),  # no fuel given: not compared
        ({}, True),
    ],
)
def test_comparable_means_power_within_a_quarter_and_the_same_fuel(other, comparable):
    assert (similarity_distance(ASKED, other) is not None) is comparable


def test_only_power_limits_other_numbers_only_rank():
    # Three times as heavy is still comparable, just further away.
    near = similarity_distance(ASKED, {"power_kva": 20, "weight_kg": 600})
    far = similarity_distance(ASKED, {"power_kva": 20, "weight_kg": 1900})
    assert near is not None and far is not None and near < far
    assert similarity_distance(ASKED, {"fuel": "diesel"}) == 1.0  # nothing to compare: last


def test_ranked_closest_first_then_by_name():
    candidates = [
        ("a", "Zeta 22 kVA", {"power_kva": 22, "fuel": "diesel"}),
        ("b", "Petrol 3 kVA", {"power_kva": 3, "fuel": "petrol"}),
        ("c", "Alpha 19 kVA", {"power_kva": 19, "fuel": "diesel"}),
        ("d", "Light tower", {"fuel": "diesel"}),
        ("e", "Beta 21 kVA", {"power_kva": 21, "fuel": "diesel"}),
        ("f", "Able 21 kVA", {"power_kva": 21, "fuel": "diesel"}),
    ]
    assert rank_similar({"power_kva": 20, "fuel": "diesel"}, candidates) == [
        "f",  # 21: 1/21 off, by name before Beta
        "e",
        "c",  # 19: 1/20 off
        "a",  # 22: 2/22 off
        "d",  # nothing to compare
    ]


def test_zero_values_and_yes_no_specs_do_not_break_the_measure():
    assert similarity_distance({"noise_db": 0}, {"noise_db": 0}) == 0.0
    assert similarity_distance({"hot_water": True}, {"hot_water": False}) == 1.0

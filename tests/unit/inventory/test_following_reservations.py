"""Inventory's record of a reservation: events applied only when newer, and an ended
reservation never becomes live again — whatever order the events arrive in."""

from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.inventory.domain.models import FollowedReservation, FollowedStatus

F = FollowedStatus


def test_events_in_order_are_all_applied():
    f = FollowedReservation("r1")
    assert f.accept(1, F.CONFIRMED)
    assert f.accept(2, F.RELEASED)
    assert (f.sequence, f.status) == (2, F.RELEASED)


def test_a_confirmation_older_than_the_cancellation_is_stale():
    f = FollowedReservation("r1")
    assert f.accept(2, F.RELEASED)
    assert not f.accept(1, F.CONFIRMED)
    assert (f.sequence, f.status) == (2, F.RELEASED)


def test_a_redelivered_event_is_not_applied_twice():
    f = FollowedReservation("r1")
    assert f.accept(1, F.CONFIRMED)
    assert not f.accept(1, F.CONFIRMED)


def test_unnumbered_events_from_before_the_upgrade_apply_in_arrival_order_but_never_revive():
    f = FollowedReservation("r1")
    assert f.accept(0, F.CONFIRMED)
    assert f.accept(0, F.RELEASED)
    assert not f.accept(0, F.CONFIRMED)
    assert f.status is F.RELEASED


@pytest.mark.parametrize("order", list(permutations([(1, F.CONFIRMED), (2, F.COMPLETED)])))
def test_completion_and_confirmation_in_any_order_end_completed(order):
    f = FollowedReservation("r1")
    for sequence, status in order:
        f.accept(sequence, status)
    assert f.status is F.COMPLETED


@given(st.permutations([(1, F.CONFIRMED), (2, F.RELEASED)]), st.booleans())
def test_any_order_with_redeliveries_ends_in_the_newest_state(events, redeliver):
    f = FollowedReservation("r1")
    for event in events + (events if redeliver else []):
        f.accept(*event)
    assert (f.sequence, f.status) == (2, F.RELEASED)

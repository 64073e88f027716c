"""core.hrefs: a row's link made from one reverse is the path reverse gives for that row's id."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from qorgau.core.hrefs import STAND_IN, href_maker


@pytest.mark.parametrize("name", ["protocols:task", "cases:detail", "orders:detail"])
@pytest.mark.parametrize("pk", [1, 7, 91827, 2**31 - 1])
def test_the_link_is_the_reversed_path(name, pk):
    assert href_maker(name)(pk) == reverse(name, args=[pk])


def test_the_script_prefix_is_kept():
    try:
        set_script_prefix("/qorgau/")
        assert href_maker("cases:detail")(5) == reverse("cases:detail", args=[5]) == "/qorgau/cases/5/"
    finally:
        set_script_prefix("/")


def test_an_id_that_is_not_an_integer_is_refused():
    with pytest.raises(ValueError):
        href_maker("cases:detail")("5/../../admin")  # type: ignore[arg-type]


def test_a_route_without_an_id_is_refused():
    with pytest.raises(NoReverseMatch):
        href_maker("healthz")
    assert str(STAND_IN) not in reverse("cases:detail", args=[1])

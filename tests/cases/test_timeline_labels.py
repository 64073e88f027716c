"""The case timeline names the states of tasks, escalations and conferences in words, never codes."""

from __future__ import annotations

import pytest
from django.utils import translation

from qorgau.cases.views import _event_state_label


@pytest.mark.parametrize(
    ("kind", "value", "label"),
    [
        ("task_changed", "accepted", "Accepted"),
        ("task_changed", "awaiting_con", "Awaiting her consent"),  # stored cut to 12 characters
        ("task_changed", "withdrawn", "consent withdrawn"),
        ("task_escalated", "regional", "The regional unit of the same agency"),
        ("conference", "held", "Held"),
        ("victim_notice", "withheld", "Withheld"),
        ("state_changed", "closed", "Closed"),
        ("task_changed", "", ""),
    ],
)
def test_event_states_read_as_words(kind, value, label):
    with translation.override("en"):
        assert _event_state_label(kind, value) == label


def test_an_unknown_code_is_never_shown():
    with translation.override("en"):
        assert _event_state_label("conference", "no_such_state") == "—"

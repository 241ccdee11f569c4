import pytest
from django import forms

from attenda.tickets.forms import PlainSelect

CHOICES = [
    ("", "Nobody in particular"),
    (7, 'Ana "Ani" <Silva> & Co'),
    ("Teams", [(1, "Billing"), (2, "Técnico")]),
]


@pytest.mark.parametrize("value", [None, "", 7, "7", 2])
@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"id": "id_to_agent", "aria-invalid": "true", "aria-describedby": "e1"},
        {"disabled": True},
    ],
)
def test_the_fast_select_writes_exactly_what_djangos_select_writes(value, attrs):
    expected = forms.Select(choices=CHOICES).render("transfer-to_agent", value, attrs=attrs)

    written = PlainSelect(choices=CHOICES).render("transfer-to_agent", value, attrs=attrs)

    assert written == expected


def test_the_fast_select_escapes_what_it_writes():
    written = PlainSelect(choices=[('"><script>', "<b>x</b>")]).render('n"', None)

    assert "<script>" not in written
    assert "<b>" not in written

import re

import pytest
from django import forms
from django.forms import BoundField

from attenda.tickets.forms import AgentPageForm, PlainSelect

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


class Sample(AgentPageForm):
    body = forms.CharField(label="Reply <to>", help_text="Seen by the <b>customer</b>.")
    status = forms.ChoiceField(label="Then", choices=[("open", "Open")], widget=PlainSelect)
    number = forms.IntegerField(label="Ticket number?", required=False)
    kinds = forms.MultipleChoiceField(
        label="Kinds", choices=[("a", "A")], widget=forms.CheckboxSelectMultiple, required=False
    )
    unlabelled = forms.CharField(label="", required=False)
    suffixed = forms.CharField(label="Name", label_suffix=":", required=False)


def djangos_field_group(bound_field) -> str:
    return BoundField(bound_field.form, bound_field.field, bound_field.name).as_field_group()


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize(
    "data", [None, {"body": "", "status": "nope", "number": "x"}, {"body": "hi", "status": "open"}]
)
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_the_fast_field_group_writes_what_djangos_template_writes(data, auto_id):
    form = Sample(data, prefix="reply", auto_id=auto_id)
    if data is not None:
        form.is_valid()

    for field in form:
        assert normalised(field.as_field_group()) == normalised(djangos_field_group(field))


def test_the_fast_field_group_escapes_the_label():
    assert "Reply &lt;to&gt;" in Sample(prefix="reply")["body"].as_field_group()

"""The renderer writes inputs and text areas in Python: byte for byte what Django's templates write,
escaping included."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from attenda.core.widgets import PlainRenderer

WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.HiddenInput,
    forms.FileInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.Textarea,
]
VALUES = [None, "", "a<b & \"c\" 'd'", 0, 5, mark_safe("<b>safe</b>"), "  two\nlines"]
ATTRS = [
    {},
    {
        "required": True,
        "disabled": False,
        "aria-describedby": "x_helptext",
        "rows": 3,
        "data-x": '"q"',
    },
]


@pytest.mark.parametrize("widget_class", WIDGETS)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
def test_a_plain_widget_is_written_as_its_template_writes_it(widget_class, value, attrs):
    widget = widget_class(attrs=attrs)

    written = widget.render("na<me", value, {"id": "id_x"}, renderer=PlainRenderer())

    assert written == widget.render("na<me", value, {"id": "id_x"}, renderer=DjangoTemplates())


def test_other_widgets_keep_their_templates():
    widget = forms.RadioSelect(choices=[("a", "A <b>")])

    written = widget.render("pick", "a", {"id": "id_pick"}, renderer=PlainRenderer())

    assert written == widget.render("pick", "a", {"id": "id_pick"}, renderer=DjangoTemplates())
    assert "A &lt;b&gt;" in written

"""The form renderer of every Attenda page. Inputs and text areas, most of the fields on a page,
are written in Python as Django's own templates write them (``django/forms/widgets/input.html``,
``textarea.html`` and ``attrs.html``): through the template engine, each cost three template
renders, a tenth of a millisecond apiece, some twenty times on the ticket page. Every other widget
keeps its template."""

from django.forms.renderers import DjangoTemplates

from attenda.core.escaping import escape

INPUT_TEMPLATES = {
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "number", "hidden", "file", "email", "url", "password", "search")
}
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def attributes(attrs: dict) -> str:
    """As ``attrs.html``: True writes the bare name, False leaves the attribute out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class PlainRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None) -> str:
        if template_name in INPUT_TEMPLATES:
            widget = context["widget"]
            value = widget["value"]
            value_attribute = "" if value is None else f' value="{escape(value)}"'
            return (
                f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
                f"{value_attribute}{attributes(widget['attrs'])}>"
            )
        if template_name == TEXTAREA_TEMPLATE:
            widget = context["widget"]
            value = escape(widget["value"]) if widget["value"] else ""
            return (
                f'<textarea name="{escape(widget["name"])}"{attributes(widget["attrs"])}>\n'
                f"{value}</textarea>"
            )
        return super().render(template_name, context, request)

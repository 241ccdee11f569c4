"""The page's chrome, drawn once per process for what it depends on.

The sidebar's links, the header and the shortcuts list are the same on every page for one language,
role and current page: dozens of ``{% url %}`` and ``{% translate %}`` tags that cost each page about
as much as a database query. ``{% same_for a b … %}…{% endsame_for %}`` renders its content the first
time for each combination of the values named and reuses that text afterwards. Whatever the content
shows must depend only on those values and on what does not change while the process runs (URLs,
static files' addresses, the catalogues): never a token, a count or a name.

What does change from one request to the next goes in ``{% each_time %}…{% endeach_time %}`` inside
it (a token, the page's address, its ``{% block content %}``): those parts are rendered on every
request, in their place in the kept text. An ``each_time`` must not sit in a loop of the
``same_for`` (it would be drawn once per turn, with the loop's values); such a ``same_for`` is
rendered whole every time. Tags in the kept text that set a variable (``{% … as name %}``) set it
only the first time: put them before the ``same_for``.
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The combinations are few (languages × roles × pages); the bound only guards against a value that
# was never meant to be a key.
MOST_KEPT = 1000
# While a same_for draws its text, each each_time inside writes this mark in its place and is noted
# in the list kept under this key of the render context.
DRAWING = "attenda.chrome.drawing"
MARK = "\x00each_time\x00"


class EachTimeNode(template.Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context) -> SafeString:
        drawing = context.render_context.get(DRAWING)
        if drawing is not None:
            drawing.append(self)
            return MARK
        return self.nodelist.render(context)


class SameForNode(template.Node):
    def __init__(self, nodelist: NodeList, values: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.values = values
        # key → the kept texts, and the each_time parts that go between them.
        self.rendered: dict[tuple, tuple[list[str], list[EachTimeNode]]] = {}

    def render(self, context) -> SafeString:
        key = tuple(value.resolve(context) for value in self.values)
        drawn = self.rendered.get(key)
        if drawn is None:
            drawn = self._draw(context)
            if drawn is None:
                return self.nodelist.render(context)
            if len(self.rendered) < MOST_KEPT:
                self.rendered[key] = drawn
        texts, parts = drawn
        if not parts:
            return texts[0]
        pieces = [texts[0]]
        for part, text in zip(parts, texts[1:], strict=True):
            # Through EachTimeNode.render: inside another same_for that is drawing, it marks.
            pieces.append(part.render(context))
            pieces.append(text)
        # Safe: the kept texts and the parts were rendered by the template, escaped as it does.
        return mark_safe("".join(pieces))  # noqa: S308

    def _draw(self, context) -> tuple[list[str], list[EachTimeNode]] | None:
        """The content's text split at its each_time parts, or None when a part was drawn twice."""
        parts: list[EachTimeNode] = []
        outer = context.render_context.get(DRAWING)
        context.render_context[DRAWING] = parts
        try:
            text = self.nodelist.render(context)
        finally:
            context.render_context[DRAWING] = outer
        if len({id(part) for part in parts}) != len(parts):
            return None
        return text.split(MARK), parts


@register.tag
def same_for(parser: Parser, token: Token) -> SameForNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("'same_for' needs at least one value to key on.")
    nodelist = parser.parse(("endsame_for",))
    parser.delete_first_token()
    return SameForNode(nodelist, [parser.compile_filter(bit) for bit in bits[1:]])


@register.tag
def each_time(parser: Parser, token: Token) -> EachTimeNode:
    nodelist = parser.parse(("endeach_time",))
    parser.delete_first_token()
    return EachTimeNode(nodelist)

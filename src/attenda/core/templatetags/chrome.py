"""The page's chrome, drawn once per process for what it depends on.

The sidebar's links and the shortcuts list are the same on every page for one language, role and
current page: dozens of ``{% url %}`` and ``{% translate %}`` tags that cost each page about as much
as a database query. ``{% same_for a b … %}…{% endsame_for %}`` renders its content the first time for
each combination of the values named and reuses that text afterwards. Whatever the content shows
must depend only on those values and on what does not change while the process runs (URLs, static
files' addresses, the catalogues): never a token, a count or a name.
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.safestring import SafeString

register = template.Library()

# The combinations are few (languages × roles × pages); the bound only guards against a value that
# was never meant to be a key.
MOST_KEPT = 1000


class SameForNode(template.Node):
    def __init__(self, nodelist: NodeList, values: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.values = values
        self.rendered: dict[tuple, SafeString] = {}

    def render(self, context) -> SafeString:
        key = tuple(value.resolve(context) for value in self.values)
        try:
            return self.rendered[key]
        except KeyError:
            pass
        text = self.nodelist.render(context)
        if len(self.rendered) < MOST_KEPT:
            self.rendered[key] = text
        return text


@register.tag
def same_for(parser: Parser, token: Token) -> SameForNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("'same_for' needs at least one value to key on.")
    nodelist = parser.parse(("endsame_for",))
    parser.delete_first_token()
    return SameForNode(nodelist, [parser.compile_filter(bit) for bit in bits[1:]])

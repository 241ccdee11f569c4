"""Tables of tickets written in Python (``tickets/rows.py``): a row as a template was some twenty
nodes to resolve, most of a search page's time for fifty tickets."""

from django import template
from django.utils.safestring import SafeString

from attenda.tickets import rows

register = template.Library()


@register.simple_tag
def ticket_table_rows(tickets, show_customer=False, show_handoffs=False) -> SafeString:
    return rows.ticket_table_rows(
        tickets, show_customer=bool(show_customer), show_handoffs=bool(show_handoffs)
    )
